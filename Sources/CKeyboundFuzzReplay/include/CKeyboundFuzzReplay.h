#ifndef C_KEYBOUND_FUZZ_REPLAY_H
#define C_KEYBOUND_FUZZ_REPLAY_H
/// Marker so the module is not empty. The replay driver is a weak `main` in FuzzReplayMain.c.
int keybound_fuzz_replay_marker(void);
#endif
