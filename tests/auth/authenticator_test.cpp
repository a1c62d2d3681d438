#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

namespace scanhub::auth {
namespace {

TEST(WwwAuthenticate, PlainBearerWhenNoCredentialsWereGiven) {
  EXPECT_EQ(www_authenticate(nullptr), "Bearer");
  AuthFailure missing{"invalid_request", ""};
  EXPECT_EQ(www_authenticate(&missing), "Bearer");
}

TEST(WwwAuthenticate, NamesTheErrorAndEscapesTheDescription) {
  AuthFailure expired{"invalid_token", "The token expired at 2026-12-07T03:00:00Z."};
  EXPECT_EQ(www_authenticate(&expired),
            "Bearer error=\"invalid_token\", "
            "error_description=\"The token expired at 2026-12-07T03:00:00Z.\"");
  AuthFailure quoted{"invalid_token", "The audience \"a\\b\"\nis invalid."};
  EXPECT_EQ(www_authenticate(&quoted),
            "Bearer error=\"invalid_token\", "
            "error_description=\"The audience \\\"a\\\\b\\\" is invalid.\"");
}

TEST(AnonymousAuthenticator, LetsEveryoneInAsAnAdmin) {
  AnonymousAuthenticator authenticator;
  EXPECT_FALSE(authenticator.required());
  auto principal = authenticator.authenticate({"forged.token.here", ""});
  ASSERT_TRUE(principal.has_value());
  EXPECT_TRUE(principal->anonymous());
  EXPECT_TRUE(principal->admin);
  EXPECT_TRUE(principal->user_id.empty());
}

}  // namespace
}  // namespace scanhub::auth
