//go:build ignore

/*
 * sm2token.h - internal header of the eseal SM2 PKCS#11 test token.
 *
 * The token implements the IBM openCryptoki SM2 profile (vendor-defined key
 * type and mechanisms) on OpenSSL 3's libcrypto. It is test infrastructure:
 * see README.md in this directory.
 */
#ifndef ESEAL_SM2TOKEN_H
#define ESEAL_SM2TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

/* Platform macros that pkcs11.h expects to be defined (Unix conventions). */
#define CK_PTR *
#define CK_DECLARE_FUNCTION(returnType, name) \
	__attribute__((visibility("default"))) returnType name
#define CK_DECLARE_FUNCTION_POINTER(returnType, name) returnType (*name)
#define CK_CALLBACK_FUNCTION(returnType, name) returnType (*name)
#ifndef NULL_PTR
#define NULL_PTR 0
#endif

#include "pkcs11.h"

#include <openssl/evp.h>

/* IBM openCryptoki SM2 profile (vendor-defined values). */
#define CKK_IBM_SM2              0x80050002UL
#define CKM_IBM_SM2_KEY_PAIR_GEN 0x8005000AUL
#define CKM_IBM_SM2              0x8005000BUL
#define CKM_IBM_SM2_SM3          0x8005000CUL

/* Internal symbols are not exported from the shared object. */
#define TT_HIDDEN __attribute__((visibility("hidden")))

#define TT_SLOT_ID        0UL
#define TT_MIN_PIN        4UL
#define TT_MAX_PIN        255UL
#define TT_PBKDF2_ITER    10000
#define TT_NO_USER        ((CK_ULONG)-1)
#define TT_SIG_LEN        64UL
#define TT_SM2_ID         "1234567812345678"

/* DER of OID 1.2.156.10197.1.301 (sm2p256v1). */
extern TT_HIDDEN const unsigned char tt_sm2_oid_der[10];

/* ---------- attributes ---------- */

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	unsigned char *val;
	CK_ULONG len;
} tt_attr;

typedef struct {
	tt_attr *v;
	size_t n, cap;
} tt_attrs;

TT_HIDDEN void tt_attrs_free(tt_attrs *a);
TT_HIDDEN tt_attr *tt_attrs_find(const tt_attrs *a, CK_ATTRIBUTE_TYPE type);
TT_HIDDEN int tt_attrs_set(tt_attrs *a, CK_ATTRIBUTE_TYPE type,
			   const void *val, CK_ULONG len);
TT_HIDDEN int tt_attrs_set_bool(tt_attrs *a, CK_ATTRIBUTE_TYPE type, int v);
TT_HIDDEN int tt_attrs_set_ulong(tt_attrs *a, CK_ATTRIBUTE_TYPE type,
				 CK_ULONG v);
TT_HIDDEN int tt_attrs_get_bool(const tt_attrs *a, CK_ATTRIBUTE_TYPE type,
				int dflt);
TT_HIDDEN CK_ULONG tt_attrs_get_ulong(const tt_attrs *a,
				      CK_ATTRIBUTE_TYPE type, CK_ULONG dflt);
TT_HIDDEN int tt_attrs_equal_value(const tt_attrs *a, CK_ATTRIBUTE_TYPE type,
				   const tt_attrs *b);
TT_HIDDEN int tt_attrs_match(const tt_attrs *a, const CK_ATTRIBUTE *tmpl,
			     CK_ULONG n);

/* ---------- objects and sessions ---------- */

typedef struct tt_object {
	CK_OBJECT_HANDLE handle;
	unsigned char uid[16];     /* persistent identity of token objects */
	int on_token;
	CK_SESSION_HANDLE owner;   /* creating session, for session objects */
	tt_attrs attrs;
	EVP_PKEY *pkey;            /* cached key for private keys */
	struct tt_object *next;
} tt_object;

typedef struct tt_session {
	CK_SESSION_HANDLE handle;
	CK_FLAGS flags;
	CK_RV dead;                /* CKR_OK while usable */
	int refs;                  /* in-flight calls; guarded by the global lock */
	int closed;                /* unlinked, freed on the last release */
	struct tt_session *next;

	/* find operation; guarded by the global lock */
	int find_active;
	CK_OBJECT_HANDLE *find_res;
	size_t find_n, find_pos;

	/* sign operation; guarded by op_lock */
	pthread_mutex_t op_lock;
	int sign_active;
	int sign_multi;            /* C_SignUpdate was called */
	CK_MECHANISM_TYPE sign_mech;
	EVP_PKEY *sign_key;
	EVP_MD_CTX *sign_md;
} tt_session;

typedef struct {
	int set;
	int iter;
	unsigned char salt[16];
	unsigned char hash[32];
} tt_pin;

/* What the token file holds, as parsed. */
typedef struct tt_image_obj {
	unsigned char uid[16];
	tt_attrs attrs;
	struct tt_image_obj *next;
} tt_image_obj;

typedef struct {
	int initialized;           /* 0 for an empty (blank) token file */
	unsigned char instance[16];
	unsigned char label[32];
	tt_pin so_pin, user_pin;
	tt_image_obj *objects;
} tt_image;

struct tt_fileid {
	dev_t dev;
	ino_t ino;
	off_t size;
	long mtime_sec, mtime_nsec;
};

typedef struct {
	int initialized;           /* C_Initialize done */
	char path[4096];           /* SM2TOKEN_FILE, empty when not initialized */

	int present;               /* token file exists and was readable */
	int have_id;               /* fid is valid */
	struct tt_fileid fid;      /* identity of the loaded file */

	int tok_init;              /* token initialized (non-blank file) */
	unsigned char instance[16];
	unsigned char label[32];
	tt_pin so_pin, user_pin;

	CK_ULONG login;            /* CKU_USER, CKU_SO or TT_NO_USER */
	tt_object *objects;
	tt_session *sessions;
	CK_ULONG next_session, next_object;
} tt_state;

extern TT_HIDDEN tt_state tt_g;
extern TT_HIDDEN pthread_mutex_t tt_lock;

/* state.c */
TT_HIDDEN CK_RV tt_lock_sync(void);
TT_HIDDEN void tt_unlock(void);
TT_HIDDEN void tt_state_reset(void);
TT_HIDDEN CK_RV tt_session_get(CK_SESSION_HANDLE h, tt_session **out);
TT_HIDDEN CK_RV tt_session_acquire(CK_SESSION_HANDLE h, tt_session **out);
TT_HIDDEN void tt_session_release(tt_session *s);
TT_HIDDEN void tt_session_unlink_locked(tt_session *s);
TT_HIDDEN size_t tt_session_count(int rw_only);
TT_HIDDEN tt_object *tt_object_find(CK_OBJECT_HANDLE h);
TT_HIDDEN int tt_object_visible(const tt_object *o);
TT_HIDDEN int tt_object_private(const tt_object *o);
TT_HIDDEN void tt_object_free(tt_object *o);
TT_HIDDEN void tt_object_unlink(tt_object *o);
TT_HIDDEN CK_RV tt_save_locked(void);
TT_HIDDEN void tt_drop_all_objects(void);
TT_HIDDEN void tt_drop_all_sessions(void);

/* store.c */
TT_HIDDEN void tt_image_free(tt_image *img);
TT_HIDDEN int tt_image_parse(const char *buf, size_t len, tt_image *img);
TT_HIDDEN int tt_read_file(const char *path, tt_image *img,
			   struct tt_fileid *fid);
TT_HIDDEN int tt_write_file(const char *path, const tt_image *img,
			    struct tt_fileid *fid);

/* crypto.c */
TT_HIDDEN int tt_random(void *buf, size_t len);
TT_HIDDEN int tt_pin_make(tt_pin *p, const unsigned char *pin, size_t len);
TT_HIDDEN int tt_pin_check(const tt_pin *p, const unsigned char *pin,
			   size_t len);
TT_HIDDEN int tt_sm2_generate(unsigned char d[32], unsigned char pub[65]);
TT_HIDDEN EVP_PKEY *tt_sm2_load(const unsigned char d[32],
				const unsigned char pub[65]);
TT_HIDDEN int tt_sm2_z(const unsigned char pub[65], unsigned char z[32]);
TT_HIDDEN int tt_sm2_sign_e(EVP_PKEY *key, const unsigned char e[32],
			    unsigned char sig[64]);
TT_HIDDEN int tt_sm3_init_with_z(EVP_MD_CTX **out,
				 const unsigned char pub[65]);

/* object helpers (p11_objects.c) */
TT_HIDDEN int tt_ec_point_decode(const tt_attrs *a, unsigned char pub[65]);

/* hex helpers (store.c) */
TT_HIDDEN void tt_hex(const unsigned char *in, size_t n, char *out);

#endif
