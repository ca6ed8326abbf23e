// libwebrtc-audio-processing is C++ (webrtc::AudioProcessing): Swift reaches it through the
// C functions of the CAudioProcessingShim target, which includes the C++ headers itself.
// This target only carries the library's pkg-config flags and its link line.
