//go:build ignore

/*
 * p11_core.c - library, slot, token, session and login functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sm2token.h"

#define MANUFACTURER "eseal test token"
#define MODEL        "SM2 test token"
#define LIBDESC      "eseal SM2 PKCS#11 test token"
#define SLOTDESC     "eseal SM2 test token slot"

extern TT_HIDDEN CK_FUNCTION_LIST tt_function_list;

static void pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, l < n ? l : n);
}

static CK_RV check_pin_len(CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	if (pin == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	if (len < TT_MIN_PIN || len > TT_MAX_PIN)
		return CKR_PIN_LEN_RANGE;
	return CKR_OK;
}

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	const char *p;

	if (pInitArgs != NULL) {
		CK_C_INITIALIZE_ARGS *a = pInitArgs;
		int n = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) +
			(a->LockMutex != NULL) + (a->UnlockMutex != NULL);

		if (a->pReserved != NULL)
			return CKR_ARGUMENTS_BAD;
		if (n != 0 && n != 4)
			return CKR_ARGUMENTS_BAD;
		/* Only the OS primitives (pthreads) are implemented. */
		if (n == 4 && !(a->flags & CKF_OS_LOCKING_OK))
			return CKR_CANT_LOCK;
	}
	pthread_mutex_lock(&tt_lock);
	if (tt_g.initialized) {
		pthread_mutex_unlock(&tt_lock);
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	/* The token file is chosen here, once per C_Initialize. */
	p = getenv("SM2TOKEN_FILE");
	if (p == NULL || *p == 0) {
		fprintf(stderr, "sm2token: SM2TOKEN_FILE is not set; set it to "
				"the path of the token state file\n");
		pthread_mutex_unlock(&tt_lock);
		return CKR_GENERAL_ERROR;
	}
	if (strlen(p) >= sizeof(tt_g.path)) {
		fprintf(stderr, "sm2token: SM2TOKEN_FILE is too long\n");
		pthread_mutex_unlock(&tt_lock);
		return CKR_GENERAL_ERROR;
	}
	tt_state_reset();
	strcpy(tt_g.path, p);
	if (tt_g.next_session == 0)
		tt_g.next_session = 1;
	if (tt_g.next_object == 0)
		tt_g.next_object = 1;
	tt_g.initialized = 1;
	pthread_mutex_unlock(&tt_lock);
	return CKR_OK;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	if (pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&tt_lock);
	if (!tt_g.initialized) {
		pthread_mutex_unlock(&tt_lock);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	tt_state_reset();
	pthread_mutex_unlock(&tt_lock);
	return CKR_OK;
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	int ok;

	pthread_mutex_lock(&tt_lock);
	ok = tt_g.initialized;
	pthread_mutex_unlock(&tt_lock);
	if (!ok)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (pInfo == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = 2;
	pInfo->cryptokiVersion.minor = 40;
	pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), MANUFACTURER);
	pInfo->flags = 0;
	pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
	    LIBDESC);
	pInfo->libraryVersion.major = 1;
	pInfo->libraryVersion.minor = 0;
	return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &tt_function_list;
	return CKR_OK;
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
		    CK_ULONG_PTR pulCount)
{
	CK_ULONG n;
	CK_RV rv;

	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = tt_lock_sync();
	if (rv != CKR_OK)
		return rv;
	n = (tokenPresent && !tt_g.present) ? 0 : 1;
	tt_unlock();
	if (pSlotList == NULL) {
		*pulCount = n;
		return CKR_OK;
	}
	if (*pulCount < n) {
		*pulCount = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (n > 0)
		pSlotList[0] = TT_SLOT_ID;
	*pulCount = n;
	return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	if (slotID != TT_SLOT_ID)
		rv = CKR_SLOT_ID_INVALID;
	else if (pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK) {
		memset(pInfo, 0, sizeof(*pInfo));
		pad(pInfo->slotDescription, sizeof(pInfo->slotDescription),
		    SLOTDESC);
		pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
		    MANUFACTURER);
		pInfo->flags = CKF_REMOVABLE_DEVICE;
		if (tt_g.present)
			pInfo->flags |= CKF_TOKEN_PRESENT;
		pInfo->hardwareVersion.major = 1;
		pInfo->firmwareVersion.major = 1;
	}
	tt_unlock();
	return rv;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	CK_RV rv = tt_lock_sync();
	char serial[33];

	if (rv != CKR_OK)
		return rv;
	if (slotID != TT_SLOT_ID)
		rv = CKR_SLOT_ID_INVALID;
	else if (pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!tt_g.present)
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv != CKR_OK) {
		tt_unlock();
		return rv;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	memcpy(pInfo->label, tt_g.label, sizeof(pInfo->label));
	pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), MANUFACTURER);
	pad(pInfo->model, sizeof(pInfo->model), MODEL);
	/* The serial number is the first half of the instance id, in hex. */
	tt_hex(tt_g.instance, 8, serial);
	memcpy(pInfo->serialNumber, serial, sizeof(pInfo->serialNumber));
	pInfo->flags = CKF_RNG;
	if (tt_g.tok_init)
		pInfo->flags |= CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED;
	if (tt_g.user_pin.set)
		pInfo->flags |= CKF_USER_PIN_INITIALIZED;
	pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulSessionCount = tt_session_count(0);
	pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulRwSessionCount = tt_session_count(1);
	pInfo->ulMaxPinLen = TT_MAX_PIN;
	pInfo->ulMinPinLen = TT_MIN_PIN;
	pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->hardwareVersion.major = 1;
	pInfo->firmwareVersion.major = 1;
	memset(pInfo->utcTime, ' ', sizeof(pInfo->utcTime));
	tt_unlock();
	return CKR_OK;
}

static const CK_MECHANISM_TYPE mechs[] = {
	CKM_IBM_SM2_KEY_PAIR_GEN, CKM_IBM_SM2, CKM_IBM_SM2_SM3
};

static CK_RV slot_token_check(CK_SLOT_ID slotID)
{
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	if (slotID != TT_SLOT_ID)
		rv = CKR_SLOT_ID_INVALID;
	else if (!tt_g.present)
		rv = CKR_TOKEN_NOT_PRESENT;
	tt_unlock();
	return rv;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList,
			 CK_ULONG_PTR pulCount)
{
	CK_ULONG n = sizeof(mechs) / sizeof(mechs[0]), i;
	CK_RV rv = slot_token_check(slotID);

	if (rv != CKR_OK)
		return rv;
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pList == NULL) {
		*pulCount = n;
		return CKR_OK;
	}
	if (*pulCount < n) {
		*pulCount = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < n; i++)
		pList[i] = mechs[i];
	*pulCount = n;
	return CKR_OK;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
			 CK_MECHANISM_INFO_PTR pInfo)
{
	CK_RV rv = slot_token_check(slotID);

	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->ulMinKeySize = 256;
	pInfo->ulMaxKeySize = 256;
	switch (type) {
	case CKM_IBM_SM2_KEY_PAIR_GEN:
		pInfo->flags = CKF_GENERATE_KEY_PAIR | CKF_EC_F_P |
			       CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
		return CKR_OK;
	case CKM_IBM_SM2:
	case CKM_IBM_SM2_SM3:
		pInfo->flags = CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
			       CKF_EC_UNCOMPRESS;
		return CKR_OK;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	return CKR_MECHANISM_INVALID;
}

CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
		  CK_UTF8CHAR_PTR pLabel)
{
	tt_image img;
	struct tt_fileid fid;
	CK_RV rv;

	if (slotID != TT_SLOT_ID) {
		rv = tt_lock_sync();
		if (rv != CKR_OK)
			return rv;
		tt_unlock();
		return CKR_SLOT_ID_INVALID;
	}
	if (pLabel == NULL || pPin == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = check_pin_len(pPin, ulPinLen);
	if (rv != CKR_OK)
		return rv;
	rv = tt_lock_sync();
	if (rv != CKR_OK)
		return rv;
	if (tt_session_count(0) > 0) {
		tt_unlock();
		return CKR_SESSION_EXISTS;
	}
	/* Re-initialising an initialised token needs its SO PIN. */
	if (tt_g.present && tt_g.tok_init &&
	    !tt_pin_check(&tt_g.so_pin, pPin, ulPinLen)) {
		tt_unlock();
		return CKR_PIN_INCORRECT;
	}
	memset(&img, 0, sizeof(img));
	img.initialized = 1;
	memcpy(img.label, pLabel, sizeof(img.label));
	if (tt_random(img.instance, sizeof(img.instance)) != 0 ||
	    tt_pin_make(&img.so_pin, pPin, ulPinLen) != 0) {
		tt_unlock();
		return CKR_FUNCTION_FAILED;
	}
	if (tt_write_file(tt_g.path, &img, &fid) != 0) {
		tt_unlock();
		return CKR_DEVICE_ERROR;
	}
	/* A new token: old sessions, objects and login are gone. */
	tt_g.tok_init = 0;
	tt_g.present = 1;
	tt_drop_all_sessions();
	tt_drop_all_objects();
	memcpy(tt_g.instance, img.instance, sizeof(tt_g.instance));
	memcpy(tt_g.label, img.label, sizeof(tt_g.label));
	tt_g.so_pin = img.so_pin;
	memset(&tt_g.user_pin, 0, sizeof(tt_g.user_pin));
	tt_g.tok_init = 1;
	tt_g.fid = fid;
	tt_g.have_id = 1;
	tt_g.login = TT_NO_USER;
	OPENSSL_cleanse(&img, sizeof(img));
	tt_unlock();
	return CKR_OK;
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
		CK_ULONG ulPinLen)
{
	tt_session *s;
	tt_pin old, np;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (tt_g.login != CKU_SO) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	rv = check_pin_len(pPin, ulPinLen);
	if (rv != CKR_OK)
		goto out;
	if (tt_pin_make(&np, pPin, ulPinLen) != 0) {
		rv = CKR_FUNCTION_FAILED;
		goto out;
	}
	old = tt_g.user_pin;
	tt_g.user_pin = np;
	rv = tt_save_locked();
	if (rv != CKR_OK)
		tt_g.user_pin = old;
out:
	tt_unlock();
	return rv;
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
	       CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	tt_session *s;
	tt_pin *target, old, np;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if ((pOldPin == NULL && ulOldLen != 0) || pNewPin == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = check_pin_len(pNewPin, ulNewLen);
	if (rv != CKR_OK)
		goto out;
	target = tt_g.login == CKU_SO ? &tt_g.so_pin : &tt_g.user_pin;
	if (!target->set) {
		rv = CKR_USER_PIN_NOT_INITIALIZED;
		goto out;
	}
	if (!tt_pin_check(target, pOldPin, ulOldLen)) {
		rv = CKR_PIN_INCORRECT;
		goto out;
	}
	if (tt_pin_make(&np, pNewPin, ulNewLen) != 0) {
		rv = CKR_FUNCTION_FAILED;
		goto out;
	}
	old = *target;
	*target = np;
	rv = tt_save_locked();
	if (rv != CKR_OK)
		*target = old;
out:
	tt_unlock();
	return rv;
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
		    CK_VOID_PTR pApplication, CK_NOTIFY Notify,
		    CK_SESSION_HANDLE_PTR phSession)
{
	tt_session *s;
	CK_RV rv;

	(void)pApplication;
	(void)Notify;
	rv = tt_lock_sync();
	if (rv != CKR_OK)
		return rv;
	if (slotID != TT_SLOT_ID)
		rv = CKR_SLOT_ID_INVALID;
	else if (phSession == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!(flags & CKF_SERIAL_SESSION))
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	else if (!tt_g.present)
		rv = CKR_TOKEN_NOT_PRESENT;
	else if (!(flags & CKF_RW_SESSION) && tt_g.login == CKU_SO)
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	if (rv != CKR_OK) {
		tt_unlock();
		return rv;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		tt_unlock();
		return CKR_HOST_MEMORY;
	}
	if (pthread_mutex_init(&s->op_lock, NULL) != 0) {
		free(s);
		tt_unlock();
		return CKR_HOST_MEMORY;
	}
	s->handle = tt_g.next_session++;
	s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	s->next = tt_g.sessions;
	tt_g.sessions = s;
	*phSession = s->handle;
	tt_unlock();
	return CKR_OK;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	tt_session *s;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	for (s = tt_g.sessions; s != NULL; s = s->next) {
		if (s->handle == hSession)
			break;
	}
	if (s == NULL) {
		tt_unlock();
		return CKR_SESSION_HANDLE_INVALID;
	}
	/* A session of a removed token can still be closed. */
	tt_session_unlink_locked(s);
	if (tt_session_count(0) == 0)
		tt_g.login = TT_NO_USER;
	tt_unlock();
	return CKR_OK;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	if (slotID != TT_SLOT_ID) {
		tt_unlock();
		return CKR_SLOT_ID_INVALID;
	}
	tt_drop_all_sessions();
	tt_unlock();
	return CKR_OK;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	tt_session *s;
	CK_RV rv = tt_lock_sync();
	int rw;

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK) {
		rw = (s->flags & CKF_RW_SESSION) != 0;
		memset(pInfo, 0, sizeof(*pInfo));
		pInfo->slotID = TT_SLOT_ID;
		pInfo->flags = s->flags;
		if (tt_g.login == CKU_SO)
			pInfo->state = CKS_RW_SO_FUNCTIONS;
		else if (tt_g.login == CKU_USER)
			pInfo->state = rw ? CKS_RW_USER_FUNCTIONS
					  : CKS_RO_USER_FUNCTIONS;
		else
			pInfo->state = rw ? CKS_RW_PUBLIC_SESSION
					  : CKS_RO_PUBLIC_SESSION;
		pInfo->ulDeviceError = 0;
	}
	tt_unlock();
	return rv;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
	      CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	tt_session *s;
	const tt_pin *p;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (userType == CKU_CONTEXT_SPECIFIC) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (userType != CKU_USER && userType != CKU_SO) {
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	if (tt_g.login == userType) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (tt_g.login != TT_NO_USER) {
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (pPin == NULL && ulPinLen != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (pPin == NULL) {
		/* No protected authentication path. */
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p = userType == CKU_SO ? &tt_g.so_pin : &tt_g.user_pin;
	if (!p->set) {
		rv = userType == CKU_USER ? CKR_USER_PIN_NOT_INITIALIZED
					  : CKR_PIN_INCORRECT;
		goto out;
	}
	if (userType == CKU_SO &&
	    tt_session_count(0) != tt_session_count(1)) {
		rv = CKR_SESSION_READ_ONLY_EXISTS;
		goto out;
	}
	if (!tt_pin_check(p, pPin, ulPinLen)) {
		rv = CKR_PIN_INCORRECT;
		goto out;
	}
	tt_g.login = userType;
out:
	tt_unlock();
	return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	tt_session *s;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv == CKR_OK) {
		if (tt_g.login == TT_NO_USER)
			rv = CKR_USER_NOT_LOGGED_IN;
		else
			tt_g.login = TT_NO_USER;
	}
	tt_unlock();
	return rv;
}
