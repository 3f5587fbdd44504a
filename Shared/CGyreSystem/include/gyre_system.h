#pragma once
#include <spawn.h>
#include <sys/types.h>

/// glibc extensions Swift cannot see without _GNU_SOURCE.
int gyre_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
short gyre_spawn_setsid_flag(void);
int gyre_pipe_cloexec(int fds[2]);
int gyre_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
