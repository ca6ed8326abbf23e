#pragma once
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
// SRTP (Sources/SRTP): OSSL_PARAM for EVP_MAC_init, CRYPTO_memcmp and OPENSSL_cleanse.
#include <openssl/params.h>
#include <openssl/crypto.h>

// Wrappers for OpenSSL APIs that are macros over SSL_ctrl / SSL_CTX_ctrl (Swift cannot call them).

static inline int tincan_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int tincan_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline int tincan_DTLS_set_link_mtu(SSL *ssl, long mtu) {
    return (int)DTLS_set_link_mtu(ssl, mtu);
}
/// Returns 1 and fills *timeout when a retransmission timer runs, 0 when none does.
static inline int tincan_DTLSv1_get_timeout(SSL *ssl, struct timeval *timeout) {
    return (int)DTLSv1_get_timeout(ssl, timeout);
}
static inline int tincan_DTLSv1_handle_timeout(SSL *ssl) {
    return (int)DTLSv1_handle_timeout(ssl);
}

// SHA-1's low-level interface, for SRTP's HMAC-SHA1 (Sources/SRTP/SRTPCrypto.swift): its
// SHA_CTX is a plain struct the caller owns and may copy, so HMAC's keyed inner and outer
// states are computed once per key and each packet starts from a copy, allocating nothing.
// OpenSSL 3.0's EVP path allocates per message (EVP_DigestInit_ex2 frees and re-creates the
// provider's SHA-1 state; EVP_MAC's HMAC copies its digest context with EVP_MD_CTX_copy_ex).
// The functions are deprecated in 3.0 (not removed); the wrappers keep the warning here.
#include <openssl/sha.h>
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline int tincan_SHA1_Init(SHA_CTX *c) { return SHA1_Init(c); }
static inline int tincan_SHA1_Update(SHA_CTX *c, const void *data, size_t len) { return SHA1_Update(c, data, len); }
static inline int tincan_SHA1_Final(unsigned char *md, SHA_CTX *c) { return SHA1_Final(md, c); }
#pragma clang diagnostic pop
