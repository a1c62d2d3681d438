// Boost.JSON's implementation, compiled here so the fuzz targets link no g++-built library.
#include <boost/json/src.hpp>
