// Process hardening the Swift side cannot reach directly: `prctl` is variadic.
#ifndef CKEYBOUND_PROCESS_H
#define CKEYBOUND_PROCESS_H

/// Sets whether the process may be dumped (PR_SET_DUMPABLE): 0 forbids core dumps and
/// ptrace attachment by anyone without CAP_SYS_PTRACE. Returns 0, or -1 with errno set.
int keybound_set_dumpable(int dumpable);

/// Whether the process may be dumped now (PR_GET_DUMPABLE): 0 or 1, or -1 with errno set.
int keybound_dumpable(void);

#endif
