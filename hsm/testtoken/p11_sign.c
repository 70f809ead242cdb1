//go:build ignore

/*
 * p11_sign.c - SM2 signing (CKM_IBM_SM2, CKM_IBM_SM2_SM3) and the RNG.
 *
 * The global lock is held only to look up the session and key; hashing and
 * signing run under the session's own op_lock so that signatures on
 * different sessions proceed in parallel.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sm2token.h"

static void sign_reset(tt_session *s)
{
	EVP_PKEY_free(s->sign_key);
	EVP_MD_CTX_free(s->sign_md);
	s->sign_key = NULL;
	s->sign_md = NULL;
	s->sign_active = 0;
	s->sign_multi = 0;
	s->sign_mech = 0;
}

/* Finds the key for C_SignInit and returns a reference to its EVP_PKEY. */
static CK_RV sign_key(CK_OBJECT_HANDLE h, EVP_PKEY **key,
		      unsigned char pub[65])
{
	tt_object *o;
	const tt_attr *d;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&tt_lock);
	o = tt_object_find(h);
	if (o == NULL) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	if (tt_object_private(o) && tt_g.login != CKU_USER) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (tt_attrs_get_ulong(&o->attrs, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) !=
		    CKO_PRIVATE_KEY ||
	    tt_attrs_get_ulong(&o->attrs, CKA_KEY_TYPE,
			       CK_UNAVAILABLE_INFORMATION) != CKK_IBM_SM2) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	if (!tt_attrs_get_bool(&o->attrs, CKA_SIGN, 0)) {
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
		goto out;
	}
	if (tt_ec_point_decode(&o->attrs, pub) != 0) {
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	if (o->pkey == NULL) {
		d = tt_attrs_find(&o->attrs, CKA_VALUE);
		if (d == NULL || d->len != 32) {
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
		o->pkey = tt_sm2_load(d->val, pub);
		if (o->pkey == NULL) {
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
	}
	if (!EVP_PKEY_up_ref(o->pkey)) {
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	*key = o->pkey;
out:
	pthread_mutex_unlock(&tt_lock);
	return rv;
}

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		 CK_OBJECT_HANDLE hKey)
{
	tt_session *s;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char pub[65];
	CK_RV rv = tt_session_acquire(hSession, &s);

	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&s->op_lock);
	if (pMechanism == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (s->sign_active) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (pMechanism->mechanism != CKM_IBM_SM2 &&
	    pMechanism->mechanism != CKM_IBM_SM2_SM3) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (pMechanism->pParameter != NULL || pMechanism->ulParameterLen != 0) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	rv = sign_key(hKey, &key, pub);
	if (rv != CKR_OK)
		goto out;
	if (pMechanism->mechanism == CKM_IBM_SM2_SM3 &&
	    tt_sm3_init_with_z(&md, pub) != 0) {
		EVP_PKEY_free(key);
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	s->sign_active = 1;
	s->sign_multi = 0;
	s->sign_mech = pMechanism->mechanism;
	s->sign_key = key;
	s->sign_md = md;
out:
	pthread_mutex_unlock(&s->op_lock);
	tt_session_release(s);
	return rv;
}

/* Hashes the rest (message mode) and signs; always ends the operation. */
static CK_RV sign_finish(tt_session *s, const unsigned char *data,
			 CK_ULONG len, CK_BYTE_PTR sig)
{
	unsigned char e[32];
	unsigned int elen = 0;
	CK_RV rv = CKR_OK;

	if (s->sign_mech == CKM_IBM_SM2) {
		if (len != 32) {
			rv = CKR_DATA_LEN_RANGE;
			goto out;
		}
		memcpy(e, data, 32);
	} else {
		if ((len > 0 && EVP_DigestUpdate(s->sign_md, data, len) != 1) ||
		    EVP_DigestFinal_ex(s->sign_md, e, &elen) != 1 || elen != 32) {
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
	}
	if (tt_sm2_sign_e(s->sign_key, e, sig) != 0)
		rv = CKR_FUNCTION_FAILED;
out:
	OPENSSL_cleanse(e, sizeof(e));
	sign_reset(s);
	return rv;
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	     CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	tt_session *s;
	CK_RV rv = tt_session_acquire(hSession, &s);

	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&s->op_lock);
	if (!s->sign_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (s->sign_multi) {
		/* C_Sign cannot finish a multi-part operation. */
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (pulSignatureLen == NULL || (pData == NULL && ulDataLen != 0)) {
		sign_reset(s);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (pSignature == NULL) {
		*pulSignatureLen = TT_SIG_LEN;
		goto out;
	}
	if (*pulSignatureLen < TT_SIG_LEN) {
		*pulSignatureLen = TT_SIG_LEN;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	rv = sign_finish(s, pData, ulDataLen, pSignature);
	if (rv == CKR_OK)
		*pulSignatureLen = TT_SIG_LEN;
out:
	pthread_mutex_unlock(&s->op_lock);
	tt_session_release(s);
	return rv;
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		   CK_ULONG ulPartLen)
{
	tt_session *s;
	CK_RV rv = tt_session_acquire(hSession, &s);

	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&s->op_lock);
	if (!s->sign_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (s->sign_mech != CKM_IBM_SM2_SM3) {
		/* Like CKM_ECDSA: single-part only (as SoftHSM2 reports). */
		sign_reset(s);
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	if (pPart == NULL && ulPartLen != 0) {
		sign_reset(s);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (ulPartLen > 0 && EVP_DigestUpdate(s->sign_md, pPart, ulPartLen) != 1) {
		sign_reset(s);
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	s->sign_multi = 1;
out:
	pthread_mutex_unlock(&s->op_lock);
	tt_session_release(s);
	return rv;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
		  CK_ULONG_PTR pulSignatureLen)
{
	tt_session *s;
	CK_RV rv = tt_session_acquire(hSession, &s);

	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&s->op_lock);
	if (!s->sign_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (s->sign_mech != CKM_IBM_SM2_SM3) {
		sign_reset(s);
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	if (pulSignatureLen == NULL) {
		sign_reset(s);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (pSignature == NULL) {
		*pulSignatureLen = TT_SIG_LEN;
		goto out;
	}
	if (*pulSignatureLen < TT_SIG_LEN) {
		*pulSignatureLen = TT_SIG_LEN;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	rv = sign_finish(s, NULL, 0, pSignature);
	if (rv == CKR_OK)
		*pulSignatureLen = TT_SIG_LEN;
out:
	pthread_mutex_unlock(&s->op_lock);
	tt_session_release(s);
	return rv;
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandom,
		       CK_ULONG ulRandomLen)
{
	tt_session *s;
	CK_RV rv = tt_session_acquire(hSession, &s);

	if (rv != CKR_OK)
		return rv;
	if (pRandom == NULL && ulRandomLen != 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (ulRandomLen > 0x7fffffffUL)
		rv = CKR_ARGUMENTS_BAD;
	else if (tt_random(pRandom, ulRandomLen) != 0)
		rv = CKR_FUNCTION_FAILED;
	tt_session_release(s);
	return rv;
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
		   CK_ULONG ulSeedLen)
{
	tt_session *s;
	CK_RV rv = tt_session_acquire(hSession, &s);

	if (rv != CKR_OK)
		return rv;
	if (pSeed == NULL && ulSeedLen != 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (ulSeedLen > 0x7fffffffUL)
		rv = CKR_ARGUMENTS_BAD;
	else if (ulSeedLen > 0)
		RAND_seed(pSeed, (int)ulSeedLen); /* mixed into the DRBG */
	tt_session_release(s);
	return rv;
}
