/* Unit tests: uid slots (host-wide allocation through OFD locks) and the
 * user namespace owned by the slot's root id. Run as root. */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "userns.h"
#include "util.h"
#include "tap.h"

#define BASE 2000000000u
#define SLOTS 4u
#define TIMED_ROUNDS 1000

int main(void)
{
	char dir[] = "/tmp/gb-test-userns-XXXXXX", lock[64], link[64];
	struct gb_userns a, b, c;
	gb_error e = { 0 };
	uint64_t t0;
	uid_t owner = 0;
	int sig = 0;

	/* One line for each test below; keep it in step. */
	TAP_PLAN(13);
	if (!mkdtemp(dir))
		return 1;
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	gb_userns_init(&a);
	gb_userns_init(&b);
	gb_userns_init(&c);

	TAP_OK(gb_userns_slot_take(lock, BASE, SLOTS, 2, &a, &e) == 0 && a.slot == 2 &&
	       a.host_base == BASE + 2 * GB_ID_RANGE, "a free slot is taken where the search starts");
	TAP_OK(gb_userns_slot_take(lock, BASE, SLOTS, 2, &b, &e) == 0 && b.slot == 3,
	       "a slot held through another open file is skipped");
	gb_userns_close(&a);
	TAP_OK(gb_userns_slot_take(lock, BASE, SLOTS, 2, &a, &e) == 0 && a.slot == 2,
	       "a slot is free again once its holder closes it");
	TAP_OK(gb_userns_slot_take(lock, BASE + GB_ID_RANGE, SLOTS, 1, &c, &e) == 0 &&
	       c.host_base == BASE + 4 * GB_ID_RANGE,
	       "another uid_base whose ranges overlap skips the ids held (locks are by host id)");
	gb_userns_close(&c);
	TAP_OK(gb_userns_slot_take(lock, BASE, SLOTS, 0, &c, &e) == 0 && c.slot == 0,
	       "the search wraps around");
	gb_userns_close(&c);
	gb_userns_slot_take(lock, BASE, SLOTS, 0, &c, &e);
	{
		struct gb_userns d;
		gb_userns_init(&d);
		gb_userns_slot_take(lock, BASE, SLOTS, 0, &d, &e);
		TAP_OK(gb_userns_slot_take(lock, BASE, SLOTS, 0, &a, &e) < 0 && e.errnum == EBUSY &&
		       strstr(e.msg, "uid_slots"), "with every slot held, taking one fails and names uid_slots");
		gb_userns_close(&d);
	}
	gb_userns_close(&a);
	gb_userns_close(&b);
	gb_userns_close(&c);

	chmod(lock, 0666);
	TAP_OK(gb_userns_slot_take(lock, BASE, SLOTS, 0, &a, &e) < 0 && strstr(e.msg, lock),
	       "a lock file others may write is refused");
	chmod(lock, 0600);
	TAP_OK(symlink(lock, link) == 0, "(a symlink to the lock file is made)");
	TAP_OK(gb_userns_slot_take(link, BASE, SLOTS, 0, &a, &e) < 0 && e.errnum == ELOOP,
	       "a symlink in place of the lock file is not followed");

	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	TAP_OK(gb_userns_create(lock, BASE, SLOTS, 1, &a, &e) == 0, "a user namespace is made");
	TAP_OK(ioctl(a.fd, NS_GET_OWNER_UID, &owner) == 0 && owner == BASE + GB_ID_RANGE,
	       "its owner is the slot's root id, not host root");
	TAP_OK(geteuid() == 0 && prctl(PR_GET_DUMPABLE) == 1,
	       "the supervisor is root and dumpable again afterwards");
	TAP_OK(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == SIGUSR1,
	       "the supervisor's parent-death signal survives");
	gb_userns_close(&a);
	prctl(PR_SET_PDEATHSIG, 0);

	t0 = gb_now_ns();
	for (int i = 0; i < TIMED_ROUNDS; i++) {
		gb_userns_slot_take(lock, BASE, SLOTS, 0, &a, &e);
		gb_userns_close(&a);
	}
	printf("# slot take + release: %.2f us\n", (gb_now_ns() - t0) / 1e3 / TIMED_ROUNDS);
	t0 = gb_now_ns();
	for (int i = 0; i < TIMED_ROUNDS; i++) {
		gb_userns_create(lock, BASE, SLOTS, 0, &a, &e);
		gb_userns_close(&a);
	}
	printf("# user namespace with its slot: %.2f us\n",
	       (gb_now_ns() - t0) / 1e3 / TIMED_ROUNDS);

	unlink(link);
	unlink(lock);
	rmdir(dir);
	return TAP_DONE();
}
