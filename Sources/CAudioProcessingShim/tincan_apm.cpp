// See include/tincan_apm.h. Only glue: every decision is the library's.
#include "tincan_apm.h"

#include <cstring>
#include <new>

#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

struct tincan_apm {
    webrtc::AudioProcessing *apm;
    int sample_rate;
    int channels;
};

static bool fill(webrtc::AudioFrame &f, const tincan_apm *a, const int16_t *samples, size_t frames) {
    size_t total = frames * (size_t)a->channels;
    if (total > webrtc::AudioFrame::kMaxDataSizeSamples) return false;
    f.sample_rate_hz_ = a->sample_rate;
    f.num_channels_ = a->channels;
    f.samples_per_channel_ = frames;
    std::memcpy(f.data_, samples, total * sizeof(int16_t));
    return true;
}

extern "C" tincan_apm *tincan_apm_create(int sample_rate, int channels, int echo_cancellation,
                                         int noise_suppression, int auto_gain_control) {
    if (channels < 1 || channels > 2) return nullptr;
    webrtc::Config config;
    // The extended filter (delay-agnostic) copes with the unknown delays of ALSA devices.
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    webrtc::AudioProcessing *apm = webrtc::AudioProcessing::Create(config);
    if (!apm) return nullptr;
    webrtc::ProcessingConfig pc = {{
        webrtc::StreamConfig(sample_rate, channels), webrtc::StreamConfig(sample_rate, channels),
        webrtc::StreamConfig(sample_rate, channels), webrtc::StreamConfig(sample_rate, channels)}};
    if (apm->Initialize(pc) != webrtc::AudioProcessing::kNoError) {
        delete apm;
        return nullptr;
    }
    apm->high_pass_filter()->Enable(echo_cancellation || noise_suppression);
    apm->echo_cancellation()->enable_drift_compensation(false);
    apm->echo_cancellation()->set_suppression_level(webrtc::EchoCancellation::kHighSuppression);
    apm->echo_cancellation()->Enable(echo_cancellation != 0);
    apm->echo_cancellation()->enable_metrics(true);
    apm->echo_cancellation()->enable_delay_logging(true);
    apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kHigh);
    apm->noise_suppression()->Enable(noise_suppression != 0);
    apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital);
    apm->gain_control()->Enable(auto_gain_control != 0);
    tincan_apm *a = new (std::nothrow) tincan_apm();
    if (!a) {
        delete apm;
        return nullptr;
    }
    a->apm = apm;
    a->sample_rate = sample_rate;
    a->channels = channels;
    return a;
}

extern "C" void tincan_apm_destroy(tincan_apm *a) {
    if (!a) return;
    delete a->apm;
    delete a;
}

// The far end comes from the playout thread, the near end from the capture thread: each call
// has its own frame, and the library serializes the two inside (one lock in 0.3).
extern "C" int tincan_apm_analyze_render(tincan_apm *a, const int16_t *samples, size_t frames) {
    webrtc::AudioFrame frame;
    if (!fill(frame, a, samples, frames)) return -1;
    return a->apm->ProcessReverseStream(&frame);
}

extern "C" int tincan_apm_process_capture(tincan_apm *a, int16_t *samples, size_t frames, int delay_ms) {
    webrtc::AudioFrame frame;
    if (!fill(frame, a, samples, frames)) return -1;
    a->apm->set_stream_delay_ms(delay_ms);
    int r = a->apm->ProcessStream(&frame);
    if (r == webrtc::AudioProcessing::kNoError)
        std::memcpy(samples, frame.data_, frames * (size_t)a->channels * sizeof(int16_t));
    return r;
}

extern "C" int tincan_apm_echo_metrics(tincan_apm *a, int *median, int *std, int *erle) {
    webrtc::EchoCancellation *ec = a->apm->echo_cancellation();
    if (!ec->is_enabled()) return -1;
    float fraction = 0;
    if (ec->GetDelayMetrics(median, std, &fraction) != 0) return -1;
    webrtc::EchoCancellation::Metrics m;
    if (ec->GetMetrics(&m) != 0) return -1;
    *erle = m.echo_return_loss_enhancement.average;
    return 0;
}
