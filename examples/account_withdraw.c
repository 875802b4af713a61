/* The notes' Account (draw only what the balance covers) as a shared
 * dict, its draw one guarded atomic batch: the manager reads the
 * balance, checks that it covers the amount and takes it, with nothing
 * in between, in one round trip. Python needed an RLock around the check
 * and the write, and every caller had to take it.
 *
 * Prints:
 *   draw 100: paid, balance 100
 *   draw 200: refused, balance 100 is short
 *   4 processes drew 1 4000 times from 2500: 2500 paid, 1500 refused,
 *   balance 0
 * (the last on one line). */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

enum { PROCESSES = 4, DRAWS = 1000, START = 2500 };

/* Draws amount from acct, reusing batch b: 0 and *balance the new
 * balance, or MGR_EABORTED (nothing taken) and *balance the one that was
 * short. */
static int
draw(mgr_batch *b, mgr_obj *acct, int64_t amount, int64_t *balance)
{
	CHECK(mgr_batch_add(b, acct, MGR_OP_DICT_GET,
	    (mgr_value[]) { mgr_str("balance") }, 1));
	CHECK(mgr_batch_assert(b, 0, MGR_CMP_GE, mgr_int(amount)));
	CHECK(mgr_batch_add(b, acct, MGR_OP_DICT_INCR,
	    (mgr_value[]) { mgr_str("balance"), mgr_int(-amount) }, 2));
	CHECK(mgr_batch_add(b, acct, MGR_OP_DICT_INCR,
	    (mgr_value[]) { mgr_str("paid"), mgr_int(amount) }, 2));
	int rv = mgr_batch_exec(b, true);
	if (rv != 0 && rv != MGR_EABORTED) {
		CHECK(rv);
	}
	// Refused: the assertion's result is the balance it saw; paid: the
	// first incr's is the new balance.
	mgr_value v;
	CHECK(mgr_batch_result(b, rv == 0 ? 2 : 1, NULL, &v));
	*balance = v.i;
	return rv;
}

static int
drawer(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) n, (void) argc, (void) argv;
	mgr_batch *b;
	int64_t    balance, refused = 0;
	CHECK(mgr_batch_new(c, &b));
	for (int i = 0; i < DRAWS; i++) {
		refused += draw(b, objs[0], 1, &balance) != 0;
	}
	mgr_batch_free(b);
	CHECK(mgr_dict_incr(
	    objs[0], mgr_str("refused"), mgr_int(refused), NULL));
	return 0;
}

static int64_t
get(mgr_obj *acct, const char *key)
{
	mgr_value v;
	CHECK(mgr_dict_get(acct, mgr_str(key), &v));
	return v.i;
}

int
main(int argc, char **argv)
{
	mgr_process_register("drawer", drawer);
	mgr_process_serve(argc, argv);

	mgr_server *srv;
	mgr_client *c;
	mgr_obj    *acct;
	mgr_batch  *b;
	int64_t     balance;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_dict_new(c, &acct));
	CHECK(mgr_batch_new(c, &b));

	// Account(1, 200): draw 100, then 200.
	CHECK(mgr_dict_set(acct, mgr_str("account_no"), mgr_int(1)));
	CHECK(mgr_dict_set(acct, mgr_str("balance"), mgr_int(200)));
	CHECK(mgr_dict_set(acct, mgr_str("paid"), mgr_int(0)));
	const int64_t amounts[] = { 100, 200 };
	for (int i = 0; i < 2; i++) {
		if (draw(b, acct, amounts[i], &balance) == 0) {
			printf("draw %lld: paid, balance %lld\n",
			    (long long) amounts[i], (long long) balance);
		} else {
			printf("draw %lld: refused, balance %lld is short\n",
			    (long long) amounts[i], (long long) balance);
		}
	}
	mgr_batch_free(b);

	// Processes drawing at once: never more than the balance.
	CHECK(mgr_dict_set(acct, mgr_str("balance"), mgr_int(START)));
	CHECK(mgr_dict_set(acct, mgr_str("paid"), mgr_int(0)));
	CHECK(mgr_dict_set(acct, mgr_str("refused"), mgr_int(0)));
	mgr_process *p[PROCESSES];
	for (int i = 0; i < PROCESSES; i++) {
		CHECK(mgr_process_start(c, "drawer", &acct, 1, NULL, &p[i]));
	}
	for (int i = 0; i < PROCESSES; i++) {
		int status;
		CHECK(mgr_process_join(p[i], MGR_FOREVER, &status));
		mgr_process_free(p[i]);
		if (status != 0) {
			fprintf(stderr, "a drawer failed (%d)\n", status);
			return 1;
		}
	}
	printf("%d processes drew 1 %d times from %d: %lld paid, %lld "
	       "refused, balance %lld\n",
	    PROCESSES, PROCESSES * DRAWS, START,
	    (long long) get(acct, "paid"), (long long) get(acct, "refused"),
	    (long long) get(acct, "balance"));
	mgr_obj_release(acct);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
