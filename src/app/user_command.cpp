#include "app/user_command.hpp"

#include "app/setup.hpp"
#include "lib/argon2/password_hash.hpp"
#include "lib/sqlite/error.hpp"
#include "store/user_store.hpp"
#include "text/terminal_text.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace scanhub::app {

namespace {

// Echo off on the terminal for the scope, restored however it is left.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() noexcept {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::string read_line() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string prompt(const char* text) {
  std::fprintf(stderr, "%s", text);
  std::fflush(stderr);
  std::string line;
  {
    const EchoOff echo_off;
    line = read_line();
  }
  std::fprintf(stderr, "\n");
  return line;
}

// The new password, or throws with the reason to refuse it.
std::string new_password(const std::string& name) {
  std::string password;
  if (::isatty(STDIN_FILENO)) {
    password = prompt(("Password for " + text::escape_for_terminal(name) + ": ").c_str());
    if (!password.empty() && prompt("Again: ") != password) {
      throw std::runtime_error("the two passwords differ; nothing was changed");
    }
  } else {
    password = read_line();
  }
  if (password.empty()) {
    throw std::runtime_error("the password is empty; type one at the prompt or give one line on stdin");
  }
  return password;
}

// SQLITE_CONSTRAINT_UNIQUE (sqlite.org/rescode.html): the name was taken meanwhile.
bool is_unique_violation(const sqlite::Error& e) { return e.code() == 2067; }

}  // namespace

int run_user_command(const UserCommandOptions& options) {
  const char* action = options.action == UserCommandOptions::Action::kAdd        ? "add"
                       : options.action == UserCommandOptions::Action::kRemove   ? "remove"
                       : options.action == UserCommandOptions::Action::kPassword ? "password"
                                                                                 : "list";
  const std::string shown = text::escape_for_terminal(options.name);
  try {
    switch (options.action) {
      case UserCommandOptions::Action::kAdd: {
        if (options.name.empty() || options.name.size() > 128) {
          throw std::runtime_error("a user name has 1 to 128 characters");
        }
        const auto store = open_store(options.database);
        const bool taken = store->read([&](store::Connection& c) {
          return store::UserStore(c.db).find_by_name(options.name).has_value();
        });
        if (taken) throw std::runtime_error("there is already a user " + shown);
        store::UserRow user;
        user.name = options.name;
        user.password_hash = argon2::hash_password(new_password(options.name));
        user.admin = options.admin;
        user.created_at = core::Clock::now();
        try {
          store->write_sync([&](store::Connection& c) { user = store::UserStore(c.db).add(user); });
        } catch (const sqlite::Error& e) {
          if (is_unique_violation(e)) throw std::runtime_error("there is already a user " + shown);
          throw;
        }
        std::printf("Added user %s%s (id %lld).\n", shown.c_str(), user.admin ? ", an admin," : "",
                    static_cast<long long>(user.id));
        return 0;
      }
      case UserCommandOptions::Action::kList: {
        const auto store = open_store(options.database);
        const auto users = store->read([](store::Connection& c) { return store::UserStore(c.db).list(); });
        if (users.empty()) std::printf("No users. Add one with: scanhub user add NAME [--admin]\n");
        for (const auto& user : users) {
          std::printf("%lld\t%s\t%s\t%s\n", static_cast<long long>(user.id),
                      text::escape_for_terminal(user.name).c_str(), user.admin ? "admin" : "user",
                      core::format_iso8601(user.created_at).c_str());
        }
        return 0;
      }
      case UserCommandOptions::Action::kRemove: {
        const auto store = open_store(options.database);
        bool removed = false;
        store->write_sync([&](store::Connection& c) { removed = store::UserStore(c.db).remove(options.name); });
        if (!removed) throw std::runtime_error("there is no user " + shown);
        std::printf("Removed user %s and their API keys.\n", shown.c_str());
        return 0;
      }
      case UserCommandOptions::Action::kPassword: {
        const auto store = open_store(options.database);
        const bool exists = store->read([&](store::Connection& c) {
          return store::UserStore(c.db).find_by_name(options.name).has_value();
        });
        if (!exists) throw std::runtime_error("there is no user " + shown);
        const std::string hash = argon2::hash_password(new_password(options.name));
        bool changed = false;
        store->write_sync([&](store::Connection& c) {
          changed = store::UserStore(c.db).set_password_hash(options.name, hash);
        });
        if (!changed) throw std::runtime_error("there is no user " + shown);
        std::printf("Changed the password of %s.\n", shown.c_str());
        return 0;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub user %s: %s\n", action, e.what());
    return 1;
  }
  return 0;
}

}  // namespace scanhub::app
