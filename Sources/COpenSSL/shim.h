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
