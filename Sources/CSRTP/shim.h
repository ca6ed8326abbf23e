#pragma once
#include <srtp2/srtp.h>
// The cipher-level API (srtp_cipher_*): used by the tests to run the RFC 3711 and RFC 7714
// vectors, which give session keys directly, against libsrtp's own AES-CM and AES-GCM.
#include <srtp2/cipher.h>

// srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 is a macro in srtp.h.
static inline void tincan_srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}
