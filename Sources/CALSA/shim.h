#pragma once
#include <alsa/asoundlib.h>

// alsa-lib prints its errors to stderr through a variadic handler that Swift cannot write;
// this no-op handler lets callers silence the noise of probing absent devices (their errors
// are reported through return codes anyway).
static void tincan_alsa_quiet_handler(const char *file, int line, const char *function, int err,
                                      const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void tincan_alsa_silence_errors(void) {
    snd_lib_error_set_handler(tincan_alsa_quiet_handler);
}
static inline void tincan_alsa_restore_errors(void) {
    snd_lib_error_set_handler(NULL);
}
