#include "app/setup.hpp"
#include "app/user_command.hpp"
#include "auth/api_key.hpp"
#include "store/user_store.hpp"
#include "text/terminal_text.hpp"

#include <cstdio>
#include <stdexcept>

namespace scanhub::app {

int run_apikey_command(const ApiKeyCommandOptions& options) {
  const char* action = options.action == ApiKeyCommandOptions::Action::kCreate   ? "create"
                       : options.action == ApiKeyCommandOptions::Action::kRevoke ? "revoke"
                                                                                 : "list";
  const std::string shown = text::escape_for_terminal(options.name);
  try {
    const auto store = open_store(options.database);
    switch (options.action) {
      case ApiKeyCommandOptions::Action::kCreate: {
        if (options.name.empty() || options.name.size() > 128) {
          throw std::runtime_error("an API key's name has 1 to 128 characters");
        }
        store::ApiKeyRow row;
        row.name = options.name;
        row.admin = options.admin;
        row.created_at = core::Clock::now();
        const auto key = auth::generate_api_key();
        row.key_hash = key.hash;
        bool taken = false;
        store->write_sync([&](store::Connection& c) {
          store::ApiKeyStore keys(c.db);
          for (const auto& existing : keys.list()) {
            // Names compare as the table does (COLLATE NOCASE: ASCII case).
            if (existing.name.size() == row.name.size() &&
                std::equal(existing.name.begin(), existing.name.end(), row.name.begin(), [](char a, char b) {
                  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                })) {
              taken = true;
              return;
            }
          }
          if (!options.user.empty()) {
            const auto user = store::UserStore(c.db).find_by_name(options.user);
            if (!user) throw std::runtime_error("there is no user " + text::escape_for_terminal(options.user));
            row.user_id = user->id;
          }
          keys.add(row);
        });
        if (taken) throw std::runtime_error("there is already an API key " + shown + " (revoke it first)");
        // The key alone on stdout, so a script can capture it; the advice on stderr.
        std::printf("%s\n", key.text.c_str());
        std::fprintf(stderr,
                     "Created API key %s%s. This is the only time it is shown: send it as the "
                     "X-Api-Key header or as a Bearer token.\n",
                     shown.c_str(), options.admin ? " (admin)" : "");
        return 0;
      }
      case ApiKeyCommandOptions::Action::kList: {
        const auto keys = store->read([](store::Connection& c) { return store::ApiKeyStore(c.db).list(); });
        if (keys.empty()) std::printf("No API keys. Create one with: scanhub apikey create NAME\n");
        for (const auto& key : keys) {
          std::printf("%s\t%s\t%s\t%s\n", text::escape_for_terminal(key.name).c_str(),
                      key.user_name ? ("user " + text::escape_for_terminal(*key.user_name)).c_str() : "-",
                      key.admin ? "admin" : "-", core::format_iso8601(key.created_at).c_str());
        }
        return 0;
      }
      case ApiKeyCommandOptions::Action::kRevoke: {
        bool revoked = false;
        store->write_sync([&](store::Connection& c) { revoked = store::ApiKeyStore(c.db).revoke(options.name); });
        if (!revoked) throw std::runtime_error("there is no API key " + shown);
        std::printf("Revoked API key %s.\n", shown.c_str());
        return 0;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub apikey %s: %s\n", action, e.what());
    return 1;
  }
  return 0;
}

}  // namespace scanhub::app
