#pragma once
// The one check of a directory offered as a library root, used by POST /api/libraries
// (api/library_routes.cpp, 400 with the reason) and by the CLI's --library / `scanhub scan
// PATH` (app/setup.cpp, exit 1 with the reason).
//
// A library is a tree of media files that scanhub walks, watches and serves names from, so
// these are refused: `/` itself (the whole system); /proc, /sys, /dev and /run and everything
// under them, after resolving links (a path that leads there through a link is refused too);
// any directory on a pseudo or system file system, by statfs(2) f_type (proc, sysfs, devpts,
// cgroup and cgroup2, debugfs, tracefs, securityfs, bpf, pstore, efivarfs, selinuxfs, smackfs,
// binfmt_misc, nsfs, ...: walking /proc reaches /proc/N/root, every file of the disk).
// devtmpfs reports tmpfs's f_type, so only its path (/dev) identifies it.
//
// Pure apart from reading the file system (realpath, stat, statfs, access); any thread; does
// not throw but std::bad_alloc.

#include <expected>
#include <string>
#include <string_view>

namespace scanhub::scan {

/// `path` as a library root: its canonical path (every link resolved, no trailing '/'), or a
/// one-line reason for people naming the path: "no such directory", "not a directory",
/// "permission denied", "symbolic link loop", "/ cannot be a library ...", "... is a system
/// directory ...", "... is on a proc file system ...".
std::expected<std::string, std::string> check_library_root(std::string_view path);

}  // namespace scanhub::scan
