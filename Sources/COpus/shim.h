#pragma once
#include <opus/opus.h>

// opus_encoder_ctl / opus_decoder_ctl are varargs and their requests are macros: one typed
// wrapper per request Tincan uses.
static inline int tincan_opus_set_bitrate(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_BITRATE(v)); }
static inline int tincan_opus_get_bitrate(OpusEncoder *st, opus_int32 *v) { return opus_encoder_ctl(st, OPUS_GET_BITRATE(v)); }
static inline int tincan_opus_set_inband_fec(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(v)); }
static inline int tincan_opus_set_packet_loss_perc(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(v)); }
static inline int tincan_opus_get_inband_fec(OpusEncoder *st, opus_int32 *v) { return opus_encoder_ctl(st, OPUS_GET_INBAND_FEC(v)); }
static inline int tincan_opus_get_packet_loss_perc(OpusEncoder *st, opus_int32 *v) { return opus_encoder_ctl(st, OPUS_GET_PACKET_LOSS_PERC(v)); }
static inline int tincan_opus_set_dtx(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_DTX(v)); }
static inline int tincan_opus_set_complexity(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(v)); }
static inline int tincan_opus_set_vbr(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_VBR(v)); }
static inline int tincan_opus_get_lookahead(OpusEncoder *st, opus_int32 *v) { return opus_encoder_ctl(st, OPUS_GET_LOOKAHEAD(v)); }
static inline int tincan_opus_encoder_reset(OpusEncoder *st) { return opus_encoder_ctl(st, OPUS_RESET_STATE); }
static inline int tincan_opus_decoder_reset(OpusDecoder *st) { return opus_decoder_ctl(st, OPUS_RESET_STATE); }
