// The single translation unit that holds the compiled bodies of Boost.Asio and Boost.Beast.
// Contract: linked (through the scanhub_asio target) by every library that uses Asio or Beast;
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are PUBLIC definitions of
// that target, so other translation units see declarations only and compile faster.
// Source: Asio "separate compilation" and Beast "header-only or separately compiled" docs.

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
