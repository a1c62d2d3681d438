#pragma once
// `scanhub user add|list|remove|password` and `scanhub apikey create|list|revoke`: local users
// and API keys for when authentication is on (issue 16 item 2 and API keys; README
// "Authentication"). They open the database as `scan` does (--db, created and migrated if
// needed) and may run while a server uses it (SQLite WAL; the server sees a change at its next
// lookup).
//
// A password comes from a prompt with echo off when stdin is a terminal (asked twice), else
// from one line of stdin (a script's pipe), so it never appears in a command line. An API key is
// printed once, on stdout alone, and only its SHA-256 is kept.
//
// Each returns the exit code: 0 done, 1 refused or failed (one line on stderr saying why).

#include <optional>
#include <string>

namespace scanhub::app {

struct UserCommandOptions {
  enum class Action { kAdd, kList, kRemove, kPassword };
  Action action = Action::kList;
  std::string database;
  std::string name;
  bool admin = false;  ///< add: the user is an admin
};

int run_user_command(const UserCommandOptions& options);

struct ApiKeyCommandOptions {
  enum class Action { kCreate, kList, kRevoke };
  Action action = Action::kList;
  std::string database;
  std::string name;
  std::string user;    ///< create: the local user the key acts for (empty: the key itself)
  bool admin = false;  ///< create: the key may do what an admin may
};

int run_apikey_command(const ApiKeyCommandOptions& options);

}  // namespace scanhub::app
