// A C face for webrtc::AudioProcessing (libwebrtc-audio-processing 0.3, the one PulseAudio's
// echo-cancel module uses): the library is C++ only. 10 ms blocks of interleaved 16-bit PCM.
#ifndef TINCAN_APM_H
#define TINCAN_APM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct tincan_apm tincan_apm;

/// NULL when the library refuses the format (rates 8000, 16000, 32000, 48000; 1 or 2 channels).
tincan_apm *tincan_apm_create(int sample_rate, int channels, int echo_cancellation,
                              int noise_suppression, int auto_gain_control);
void tincan_apm_destroy(tincan_apm *apm);
/// The far end, as it is played out (the echo's reference). 0 or the library's error.
int tincan_apm_analyze_render(tincan_apm *apm, const int16_t *samples, size_t frames_per_channel);
/// The near end, processed in place. `delay_ms`: render-to-capture delay of the echo path.
int tincan_apm_process_capture(tincan_apm *apm, int16_t *samples, size_t frames_per_channel, int delay_ms);

/// The echo canceller's own figures since the last call: its estimate of the echo path's
/// delay (median, spread; ms) and its echo return loss enhancement (dB, the average of the
/// last period). 0, or -1 when echo cancellation is off.
int tincan_apm_echo_metrics(tincan_apm *apm, int *delay_median_ms, int *delay_std_ms, int *erle_db);

#ifdef __cplusplus
}
#endif
#endif
