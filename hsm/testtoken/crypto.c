//go:build ignore

/*
 * crypto.c - SM2/SM3 and PIN hashing on OpenSSL 3's libcrypto.
 *
 * The signing primitive is EVP_PKEY_sign on an SM2 key, which in OpenSSL 3
 * signs the given 32 bytes as the SM2 value e (no hashing). For the message
 * mode the token computes e = SM3(Z_A || M) itself, with Z_A from the
 * GB/T 32918 default distinguishing ID, so that nothing depends on what
 * OpenSSL would use as a default ID.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "sm2token.h"

const unsigned char tt_sm2_oid_der[10] = {
	0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_ok;
static EVP_MD *sm3_md;
/* a || b || xG || yG of the SM2 curve, 32 bytes each. */
static unsigned char curve_abg[128];

static void init_once(void)
{
	EC_GROUP *grp = NULL;
	BIGNUM *p = NULL, *a = NULL, *b = NULL, *x = NULL, *y = NULL;
	const EC_POINT *g;

	sm3_md = EVP_MD_fetch(NULL, "SM3", NULL);
	grp = EC_GROUP_new_by_curve_name(NID_sm2);
	p = BN_new();
	a = BN_new();
	b = BN_new();
	x = BN_new();
	y = BN_new();
	if (sm3_md == NULL || grp == NULL || p == NULL || a == NULL ||
	    b == NULL || x == NULL || y == NULL)
		goto out;
	if (!EC_GROUP_get_curve(grp, p, a, b, NULL))
		goto out;
	g = EC_GROUP_get0_generator(grp);
	if (g == NULL || !EC_POINT_get_affine_coordinates(grp, g, x, y, NULL))
		goto out;
	if (BN_bn2binpad(a, curve_abg, 32) != 32 ||
	    BN_bn2binpad(b, curve_abg + 32, 32) != 32 ||
	    BN_bn2binpad(x, curve_abg + 64, 32) != 32 ||
	    BN_bn2binpad(y, curve_abg + 96, 32) != 32)
		goto out;
	once_ok = 1;
out:
	BN_free(p);
	BN_free(a);
	BN_free(b);
	BN_free(x);
	BN_free(y);
	EC_GROUP_free(grp);
}

/* Releases the cached digest when the module is unloaded (dlclose). */
__attribute__((destructor)) static void crypto_unload(void)
{
	EVP_MD_free(sm3_md);
	sm3_md = NULL;
}

static int crypto_ready(void)
{
	pthread_once(&once, init_once);
	return once_ok;
}

int tt_random(void *buf, size_t len)
{
	if (len == 0)
		return 0;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static int pin_derive(const tt_pin *p, const unsigned char *pin, size_t len,
		      unsigned char out[32])
{
	return PKCS5_PBKDF2_HMAC((const char *)pin, (int)len, p->salt,
				 sizeof(p->salt), p->iter, EVP_sha256(), 32,
				 out) == 1 ? 0 : -1;
}

int tt_pin_make(tt_pin *p, const unsigned char *pin, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->iter = TT_PBKDF2_ITER;
	if (tt_random(p->salt, sizeof(p->salt)) != 0 ||
	    pin_derive(p, pin, len, p->hash) != 0)
		return -1;
	p->set = 1;
	return 0;
}

/* Returns 1 if the PIN matches, 0 if not. */
int tt_pin_check(const tt_pin *p, const unsigned char *pin, size_t len)
{
	unsigned char h[32];
	int ok;

	if (!p->set)
		return 0;
	if (pin_derive(p, pin, len, h) != 0)
		return 0;
	ok = CRYPTO_memcmp(h, p->hash, sizeof(h)) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return ok;
}

/* Generates an SM2 key pair: d (32 bytes) and pub = 04||X||Y. */
int tt_sm2_generate(unsigned char d[32], unsigned char pub[65])
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *k = NULL;
	BIGNUM *bn = NULL;
	size_t plen = 0;
	int ret = -1;

	pc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (pc == NULL || EVP_PKEY_keygen_init(pc) <= 0 ||
	    EVP_PKEY_generate(pc, &k) <= 0)
		goto out;
	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) ||
	    BN_bn2binpad(bn, d, 32) != 32)
		goto out;
	if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub,
					     65, &plen) ||
	    plen != 65 || pub[0] != 0x04)
		goto out;
	ret = 0;
out:
	BN_clear_free(bn);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(pc);
	return ret;
}

/* Builds an OpenSSL SM2 key pair from d and 04||X||Y. */
EVP_PKEY *tt_sm2_load(const unsigned char d[32], const unsigned char pub[65])
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *k = NULL;
	BIGNUM *bn = NULL;

	bld = OSSL_PARAM_BLD_new();
	bn = BN_secure_new();
	if (bld == NULL || bn == NULL || BN_bin2bn(d, 32, bn) == NULL)
		goto out;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "SM2", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      pub, 65))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (params == NULL || pc == NULL || EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEYPAIR, params) <= 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	EVP_PKEY_CTX_free(pc);
	return k;
}

/*
 * Z_A = SM3(ENTL_A || ID_A || a || b || xG || yG || xA || yA) with
 * ID_A = "1234567812345678" (GB/T 32918.2, GM/T 0009 default).
 */
static int feed_z(EVP_MD_CTX *c, const unsigned char pub[65])
{
	static const char id[] = TT_SM2_ID;
	size_t idlen = sizeof(id) - 1;
	unsigned char entl[2];

	entl[0] = (unsigned char)((idlen * 8) >> 8);
	entl[1] = (unsigned char)(idlen * 8);
	return EVP_DigestUpdate(c, entl, 2) == 1 &&
	       EVP_DigestUpdate(c, id, idlen) == 1 &&
	       EVP_DigestUpdate(c, curve_abg, sizeof(curve_abg)) == 1 &&
	       EVP_DigestUpdate(c, pub + 1, 64) == 1;
}

int tt_sm2_z(const unsigned char pub[65], unsigned char z[32])
{
	EVP_MD_CTX *c;
	unsigned int zl = 0;
	int ret = -1;

	if (!crypto_ready())
		return -1;
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return -1;
	if (EVP_DigestInit_ex(c, sm3_md, NULL) == 1 && feed_z(c, pub) &&
	    EVP_DigestFinal_ex(c, z, &zl) == 1 && zl == 32)
		ret = 0;
	EVP_MD_CTX_free(c);
	return ret;
}

/* Starts SM3 over Z_A || ..., ready for the message bytes. */
int tt_sm3_init_with_z(EVP_MD_CTX **out, const unsigned char pub[65])
{
	unsigned char z[32];
	EVP_MD_CTX *c;

	*out = NULL;
	if (tt_sm2_z(pub, z) != 0)
		return -1;
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return -1;
	if (EVP_DigestInit_ex(c, sm3_md, NULL) != 1 ||
	    EVP_DigestUpdate(c, z, sizeof(z)) != 1) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* Signs e (32 bytes) with SM2 and writes r||s (32 bytes each). */
int tt_sm2_sign_e(EVP_PKEY *key, const unsigned char e[32],
		  unsigned char sig[64])
{
	EVP_PKEY_CTX *pc;
	unsigned char der[128];
	size_t dlen = sizeof(der);
	const unsigned char *p;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r = NULL, *s = NULL;
	int ret = -1;

	pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (pc == NULL || EVP_PKEY_sign_init(pc) <= 0 ||
	    EVP_PKEY_sign(pc, der, &dlen, e, 32) <= 0)
		goto out;
	p = der;
	es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	if (es == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	ret = 0;
out:
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(pc);
	return ret;
}
