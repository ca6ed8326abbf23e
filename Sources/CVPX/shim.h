#pragma once
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

// vpx_codec_enc_init / vpx_codec_dec_init are macros that pass the ABI version: Swift cannot
// call macros, so these wrappers do.
static inline vpx_codec_err_t tincan_vpx_codec_enc_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                         const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init(ctx, iface, cfg, flags);
}

static inline vpx_codec_err_t tincan_vpx_codec_dec_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                         const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init(ctx, iface, cfg, flags);
}

// vpx_codec_control_ is varargs; every VP8 encoder control Tincan sets takes an int.
static inline vpx_codec_err_t tincan_vpx_codec_control_int(vpx_codec_ctx_t *ctx, int ctrl_id, int value) {
    return vpx_codec_control_(ctx, ctrl_id, value);
}

// ... and the getters (VP8E_GET_LAST_QUANTIZER) take an int pointer.
static inline vpx_codec_err_t tincan_vpx_codec_control_get_int(vpx_codec_ctx_t *ctx, int ctrl_id, int *value) {
    return vpx_codec_control_(ctx, ctrl_id, value);
}

// Flag macros built from expressions Swift does not import.
static inline vpx_enc_frame_flags_t tincan_vpx_eflag_force_kf(void) { return VPX_EFLAG_FORCE_KF; }
static inline unsigned long tincan_vpx_dl_realtime(void) { return VPX_DL_REALTIME; }
