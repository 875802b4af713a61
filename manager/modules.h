/* managerd's modules (--load-module): loaded before the server starts. */
#ifndef MGR_MANAGER_MODULES_H
#define MGR_MANAGER_MODULES_H

/* Loads each "PATH [WORD...]" in order, running its mgr_module_init with
 * the words: 0, or 2 (usage: the module is refused) after one line on
 * stderr saying which module and why. */
int modules_load(const char *const *specs, int n);
/* Forgets the registered types (at exit, after the server is gone). */
void modules_unload(void);

#endif
