/*
 * main: parse options, check PROGRAM (found, executable, a 64-bit x86-64
 * ELF), run the tracer, and leave with the program's status: its exit
 * code, or death by the same signal, unless --error-exitcode applies.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "leakcheck/options.h"
#include "leakcheck/suppress.h"
#include "leakcheck/tracer.h"
#include "leakcheck/util.h"
#include "internal.h"

/* Past every char, so that getopt's optopt tells a long option (its id)
 * from a short one (its char) in an error. */
#define O_FIRST 256

enum option_id {
	O_BEFORE_FIRST = O_FIRST - 1,
#define OPT(name, has_arg, shrt, id, argname, help) id,
#include "options.def"
#undef OPT
	O_END
};

static const struct option long_options[] = {
#define OPT(name, has_arg, shrt, id, argname, help)                            \
	{name, has_arg ? required_argument : no_argument, NULL, id},
#include "options.def"
#undef OPT
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leakcheck [OPTIONS] PROGRAM [ARGS...]\n"
		"       leakcheck [OPTIONS] --pid PID... | --pid-tree PID...\n"
		"       leakcheck [OPTIONS] --core=CORE [PROGRAM]\n"
		"       leakcheck merge OUT.xml IN.xml|DIR...\n\n"
		"Find memory leaks in PROGRAM without recompiling it.\n\n"
		"options:\n");
#define OPT(name, has_arg, shrt, id, argname, help)                            \
	{                                                                      \
		char lhs[64];                                                  \
		snprintf(lhs, sizeof(lhs), "%s%c%s--%s%s%s",                   \
			 shrt ? "-" : "   ", shrt ? shrt : ' ',                \
			 shrt ? ", " : "", name, argname ? "=" : "",           \
			 argname ? (const char *)argname : "");                \
		fprintf(f, "  %-35s %s\n", lhs, help);                         \
	}
#include "options.def"
#undef OPT
	fprintf(f, "\nexit status: the program's own, or --error-exitcode; "
		   "leakcheck's own errors:\n"
		   "  64 usage, 65 not an ELF (--core: not a core), 66 not "
		   "x86-64, 67 ptrace not\n  permitted, 68 no such process or "
		   "a kernel thread (--pid), 69 a truncated\n  core, 70 "
		   "internal error or out of memory, 71 a core lacking memory\n"
		   "  coredump_filter left out, 72 no glibc heap in a core, 73 "
		   "an output could not\n  be written (after the report), 74 "
		   "cannot read a suppressions file or a core,\n  77 PROGRAM "
		   "is setuid, setgid or has capabilities and leakcheck is not "
		   "root,\n  126 not executable, 127 not found\n"
		   "\nSee leakcheck(1).\n");
}

/*
 * --malloc-like=NAME[:size=A[*B]], --free-like=NAME[:ptr=A],
 * --realloc-like=NAME[:ptr=A,size=B]: a function of the program's own
 * allocator and where its arguments are (1-based, the first three, as
 * the registers that carry them).  Exits with one line if VAL is not
 * one of those.
 */
static void parse_decl(const char *optname, enum decl_kind kind, char *val)
{
	struct decl_fn d = {.kind = (uint8_t)kind};
	char *colon = strchr(val, ':'), *item, *save = NULL;

	if (opt.ndecl == ARRAY_SIZE(opt.decl))
		die(LC_EXIT_USAGE,
		    "more than %zu --malloc-like, --free-like and "
		    "--realloc-like functions",
		    ARRAY_SIZE(opt.decl));
	if (colon)
		*colon = 0;
	if (!*val)
		die(LC_EXIT_USAGE,
		    "invalid value for --%s: expected NAME[:ARG=N,...]",
		    optname);
	d.name = val;
	/* the defaults: malloc's, free's and realloc's arguments */
	if (kind == DECL_ALLOC)
		d.size = 1;
	else if (kind == DECL_FREE)
		d.ptr = 1;
	else
		d.ptr = 1, d.size = 2;
	for (item = colon ? strtok_r(colon + 1, ",", &save) : NULL; item;
	     item = strtok_r(NULL, ",", &save)) {
		unsigned a = 0, b = 0;
		char extra;
		if (kind != DECL_FREE &&
		    (sscanf(item, "size=%u*%u%c", &a, &b, &extra) == 2 ||
		     (b = 0, sscanf(item, "size=%u%c", &a, &extra) == 1)) &&
		    a >= 1 && a <= 3 && b <= 3) {
			d.size = (uint8_t)a;
			d.size2 = (uint8_t)b;
		} else if (kind != DECL_ALLOC &&
			   sscanf(item, "ptr=%u%c", &a, &extra) == 1 &&
			   a >= 1 && a <= 3) {
			d.ptr = (uint8_t)a;
		} else {
			die(LC_EXIT_USAGE,
			    "invalid '%s' in --%s=%s: expected %s, each "
			    "argument 1, 2 or 3",
			    item, optname, val,
			    kind == DECL_ALLOC	? "size=N or size=N*M"
			    : kind == DECL_FREE ? "ptr=N"
						: "ptr=N or size=N");
		}
	}
	opt.decl[opt.ndecl++] = d;
}

static unsigned long parse_num(const char *optname, const char *s,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || *s == '-')
		die(LC_EXIT_USAGE,
		    "invalid value '%s' for --%s: expected a number %lu-%lu", s,
		    optname, min, max);
	return v;
}

static int parse_yesno(const char *optname, const char *s)
{
	if (!strcmp(s, "yes"))
		return 1;
	if (!strcmp(s, "no"))
		return 0;
	die(LC_EXIT_USAGE, "invalid value '%s' for --%s: expected yes or no", s,
	    optname);
}

/* opt.supps, made on first use */
static struct supp_set *supps(void)
{
	static struct supp_set set;

	if (!opt.supps) {
		supp_set_init(&set);
		opt.supps = &set;
	}
	return opt.supps;
}

/* --suppressions=PATH: read it now, so a bad file stops us before the
 * program runs. */
static void load_suppressions(const char *path)
{
	char *err = NULL;
	int ret;

	ret = supp_set_load(supps(), path, &err);
	if (ret == -EINVAL) {
		fprintf(stderr, "leakcheck: %s\n", err);
		free(err);
		exit(LC_EXIT_USAGE);
	}
	if (ret)
		die(LC_EXIT_INPUT, "cannot read suppressions file '%s': %s",
		    path, infile_strerror(ret, SUPP_MAX_BYTES));
}

static void parse_options(int argc, char **argv)
{
	/* "+": stop at the program's name; ":": ':' for a missing value */
	char shorts[64] = "+:";
	const char *xml_file = NULL;
	int c, xml = 0;
#define OPT(name, has_arg, shrt, id, argname, help)                            \
	if (shrt) {                                                            \
		size_t l = strlen(shorts);                                     \
		shorts[l] = shrt;                                              \
		shorts[l + 1] = 0;                                             \
		if (has_arg)                                                   \
			strcat(shorts, ":");                                   \
	}
#include "options.def"
#undef OPT
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, long_options, NULL)) !=
	       -1) {
		switch (c) {
		case 'q':
		case O_QUIET:
			opt.quiet = 1;
			break;
		case 'v':
		case O_VERBOSE:
			opt.verbose++;
			log_verbose = opt.verbose;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		case 'V':
		case O_VERSION:
			printf("leakcheck %s\n", LEAKCHECK_VERSION);
			exit(0);
		case O_LEAK_CHECK:
			if (!strcmp(optarg, "no"))
				opt.leak_check = LEAK_CHECK_NO;
			else if (!strcmp(optarg, "summary"))
				opt.leak_check = LEAK_CHECK_SUMMARY;
			else if (!strcmp(optarg, "full") ||
				 !strcmp(optarg, "yes"))
				opt.leak_check = LEAK_CHECK_FULL;
			else
				die(LC_EXIT_USAGE,
				    "invalid value '%s' for --leak-check: "
				    "expected "
				    "no, summary or full",
				    optarg);
			break;
		case O_SHOW_KINDS:
			if (leak_kinds_parse(optarg, &opt.show_kinds))
				die(LC_EXIT_USAGE,
				    "invalid value '%s' for --show-leak-kinds: "
				    "expected a list of "
				    "definite,indirect,possible,"
				    "reachable, or all or none",
				    optarg);
			break;
		case O_SHOW_HOLDERS:
			if (leak_kinds_parse(optarg, &opt.holder_kinds))
				die(LC_EXIT_USAGE,
				    "invalid value '%s' for --show-holders: "
				    "expected a list of "
				    "definite,indirect,possible,"
				    "reachable, or all or none",
				    optarg);
			break;
		case O_TOP_HOLDERS:
			opt.top_holders = (unsigned)parse_num(
			    "top-holders", optarg, 0, 100000);
			break;
		case O_HOLDERS_OF:
			if (!*optarg)
				die(LC_EXIT_USAGE, "--holders-of needs an "
						   "address or a pattern");
			if (opt.nholders_of == HOLDERS_OF_MAX)
				die(LC_EXIT_USAGE,
				    "at most %d --holders-of options",
				    HOLDERS_OF_MAX);
			if (report_holders_of_parse(optarg, NULL) < 0)
				die(LC_EXIT_USAGE,
				    "invalid address '%s' for --holders-of: "
				    "expected 0x and hex digits",
				    optarg);
			opt.holders_of[opt.nholders_of++] = optarg;
			break;
		case O_ERROR_KINDS:
			if (leak_kinds_parse(optarg, &opt.error_kinds))
				die(LC_EXIT_USAGE,
				    "invalid value '%s' for "
				    "--errors-for-leak-kinds:"
				    " expected a list of "
				    "definite,indirect,possible,"
				    "reachable, or all or none",
				    optarg);
			break;
		case O_ERROR_EXITCODE:
			opt.error_exitcode =
			    (int)parse_num("error-exitcode", optarg, 0, 255);
			break;
		case O_NUM_CALLERS:
			opt.num_callers =
			    (unsigned)parse_num("num-callers", optarg, 1, 250);
			break;
		case O_LOG_FILE:
			opt.log_file = optarg;
			break;
		case O_JSON:
			opt.json_file = optarg;
			break;
		case O_SARIF:
			opt.sarif_file = optarg;
			break;
		case O_JUNIT:
			opt.junit_file = optarg;
			break;
		case O_XML:
			xml = parse_yesno("xml", optarg);
			break;
		case O_XML_FILE:
			xml_file = optarg;
			break;
		case O_SUPPRESSIONS:
			load_suppressions(optarg);
			break;
		case O_DEFAULT_SUPPRESSIONS:
			opt.no_default_supps =
			    !parse_yesno("default-suppressions", optarg);
			break;
		case O_GEN_SUPPRESSIONS:
			/* valgrind's "yes" asks at each error; we cannot (stdin
			 * is the program's), so it prints them all */
			if (!strcmp(optarg, "all") || !strcmp(optarg, "yes"))
				opt.gen_suppressions = 1;
			else if (!strcmp(optarg, "no"))
				opt.gen_suppressions = 0;
			else
				die(LC_EXIT_USAGE,
				    "invalid value '%s' for "
				    "--gen-suppressions: "
				    "expected no or all",
				    optarg);
			break;
		case O_FAST_PATH:
			opt.no_fast_path = !parse_yesno("fast-path", optarg);
			break;
		case O_UNWIND_IN_PROGRAM:
			opt.unwind_in_program =
			    parse_yesno("unwind-in-program", optarg);
			break;
		case O_RUN_LIBC_FREERES:
			opt.no_libc_freeres =
			    !parse_yesno("run-libc-freeres", optarg);
			break;
		case O_RUN_CXX_FREERES:
			opt.no_cxx_freeres =
			    !parse_yesno("run-cxx-freeres", optarg);
			break;
		case O_SAME_CPU:
			opt.no_same_cpu = !parse_yesno("same-cpu", optarg);
			break;
		case O_MALLOC_LIKE:
			parse_decl("malloc-like", DECL_ALLOC, optarg);
			break;
		case O_FREE_LIKE:
			parse_decl("free-like", DECL_FREE, optarg);
			break;
		case O_REALLOC_LIKE:
			parse_decl("realloc-like", DECL_REALLOC, optarg);
			break;
		case O_TRACE_CHILDREN:
			opt.trace_children =
			    parse_yesno("trace-children", optarg);
			break;
		case 'p':
		case O_PID:
		case O_PID_TREE: {
			int pid =
			    (int)parse_num(c == O_PID_TREE ? "pid-tree" : "pid",
					   optarg, 1, 0x3fffffff);
			for (unsigned i = 0; i < opt.npids; i++)
				if (opt.pids[i] == pid)
					die(LC_EXIT_USAGE,
					    "pid %d given twice: each process "
					    "is "
					    "attached to once",
					    pid);
			if (opt.npids == ARRAY_SIZE(opt.pids))
				die(LC_EXIT_USAGE,
				    "more than %zu --pid and --pid-tree "
				    "options",
				    ARRAY_SIZE(opt.pids));
			opt.pid_tree[opt.npids] = c == O_PID_TREE;
			opt.pids[opt.npids++] = pid;
			break;
		}
		case O_INTERVAL:
			opt.interval = (unsigned)parse_num("interval", optarg,
							   1, 86400 * 365);
			break;
		case O_DURATION:
			opt.duration = (unsigned)parse_num("duration", optarg,
							   1, 86400 * 365);
			break;
		case O_ONCE:
			opt.once = 1;
			break;
		case O_CORE:
			opt.core = optarg;
			break;
		case O_REPORT:
			if (!strcmp(optarg, "full"))
				opt.report_new = 0;
			else if (!strcmp(optarg, "new"))
				opt.report_new = 1;
			else
				die(LC_EXIT_USAGE,
				    "invalid value '%s' for --report: expected "
				    "full or new",
				    optarg);
			break;
		case O_STATS:
			opt.stats = 1;
			break;
		case O_HEAP_PROFILE:
			opt.heap_profile = optarg;
			break;
		case O_HEAP_PROFILE_INTERVAL:
			opt.heap_profile_interval = (unsigned)parse_num(
			    "heap-profile-interval", optarg, 1, 86400 * 365);
			break;
		case O_SAMPLE_RATE:
			opt.sample_rate =
			    parse_num("sample-rate", optarg, 0, 1ul << 40);
			break;
		case O_FOLDED:
			opt.folded_file = optarg;
			break;
		case O_FLAMEGRAPH:
			opt.flamegraph = optarg;
			break;
		case ':':
			/* a value missing at the end of the line */
			if (optopt >= O_FIRST && optopt < O_END)
				die(LC_EXIT_USAGE,
				    "option '--%s' needs a value (--%s=VALUE)",
				    long_options[optopt - O_FIRST].name,
				    long_options[optopt - O_FIRST].name);
			die(LC_EXIT_USAGE, "option '-%c' needs a value",
			    optopt);
		case '?':
		default:
			if (optopt >= O_FIRST && optopt < O_END)
				die(LC_EXIT_USAGE,
				    "option '--%s' takes no value",
				    long_options[optopt - O_FIRST].name);
			if (optopt > ' ' && optopt < 127 && optopt != '?')
				die(LC_EXIT_USAGE,
				    "unknown option '-%c'; see 'leakcheck "
				    "--help'",
				    optopt);
			die(LC_EXIT_USAGE,
			    "unknown option '%.*s'; see 'leakcheck --help'",
			    (int)strcspn(argv[optind - 1], "="),
			    argv[optind - 1]);
		}
	}
	/* as valgrind: --xml=yes needs a destination */
	if (xml && !xml_file)
		die(LC_EXIT_USAGE, "--xml=yes needs --xml-file=FILE");
	if (xml_file && !xml)
		die(LC_EXIT_USAGE, "--xml-file needs --xml=yes");
	opt.xml_file = xml_file;
	if (opt.heap_profile_interval && !opt.heap_profile &&
	    !opt.folded_file && !opt.flamegraph)
		die(LC_EXIT_USAGE,
		    "--heap-profile-interval needs --heap-profile, "
		    "--folded or --flamegraph");
}

/* Look PROG up in PATH as a shell does; returns a malloc'd path or exits. */
static char *find_program(const char *prog)
{
	const char *path;
	int saw_noexec = 0;

	if (strchr(prog, '/')) {
		if (access(prog, F_OK))
			die(LC_EXIT_NOTFOUND, "cannot run '%s': %s", prog,
			    strerror(errno));
		return xstrdup(prog);
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		char *cand = xasprintf("%.*s%s%s", (int)len, len ? path : ".",
				       "/", prog);
		struct stat st;
		if (!stat(cand, &st) && S_ISREG(st.st_mode)) {
			if (!access(cand, X_OK))
				return cand;
			saw_noexec = 1;
		}
		free(cand);
		if (!colon)
			break;
		path = colon + 1;
	}
	if (saw_noexec)
		die(LC_EXIT_NOEXEC,
		    "cannot run '%s': found in PATH but not executable", prog);
	die(LC_EXIT_NOTFOUND,
	    "cannot run '%s': command not found in PATH; give a path like "
	    "./%s",
	    prog, prog);
}

/* The kernel follows at most this many #! interpreters (BINPRM's
 * recursion limit is 5 images in all). */
#define MAX_SCRIPT_DEPTH 4

static void check_program_at(const char *path, const char *script, int depth);

/* PATH starts with #!: check its interpreter as the kernel will run it. */
static void check_interpreter(const char *path, const unsigned char *hdr,
			      ssize_t n, int depth)
{
	char interp[256];
	size_t i = 2, k = 0;

	while (i < (size_t)n && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	while (i < (size_t)n && hdr[i] != ' ' && hdr[i] != '\t' &&
	       hdr[i] != '\n' && k < sizeof(interp) - 1)
		interp[k++] = (char)hdr[i++];
	interp[k] = 0;
	if (!k || (i == (size_t)n && k == sizeof(interp) - 1))
		die(LC_EXIT_NOEXEC,
		    "cannot run '%s': its #! line names no interpreter", path);
	if (depth >= MAX_SCRIPT_DEPTH)
		die(LC_EXIT_NOEXEC,
		    "cannot run '%s': more than %d levels of #! interpreters",
		    path, MAX_SCRIPT_DEPTH);
	check_program_at(interp, path, depth + 1);
}

/* Exits with a clear line unless PATH is an executable 64-bit x86-64 ELF
 * or a #! script whose interpreter is one (the kernel runs that, and that
 * is what is traced, as valgrind does). */
static void check_program(const char *path)
{
	check_program_at(path, NULL, 0);
}

/*
 * Exits with one line if the ELF file PATH (ST: its stat) would gain
 * privileges at exec -- setuid to another user, setgid to another group,
 * file capabilities -- and we are not root.  Under ptrace the kernel
 * execs it without them (LSM_UNSAFE_PTRACE), so it would run, and be
 * checked, as something else than what users run; valgrind refuses too.
 * Root keeps them (CAP_SYS_PTRACE), and so does nothing else: a nosuid
 * mount or no_new_privs drop them with or without leakcheck.
 */
static void check_privileges(const char *path, const struct stat *st)
{
	char what[64] = "";
	struct statvfs vfs;

	if (geteuid() == 0)
		return;
	if ((st->st_mode & S_ISUID) && st->st_uid != geteuid())
		snprintf(what, sizeof(what), "is setuid (to uid %ld)",
			 (long)st->st_uid);
	else if ((st->st_mode & S_ISGID) && st->st_gid != getegid())
		snprintf(what, sizeof(what), "is setgid (to gid %ld)",
			 (long)st->st_gid);
	else if (getxattr(path, "security.capability", NULL, 0) > 0)
		snprintf(what, sizeof(what), "has file capabilities");
	if (!*what)
		return;
	if ((statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return;
	die(LC_EXIT_PRIVILEGED,
	    "cannot run '%s': it %s, which the kernel drops when a user "
	    "other than root traces it; run leakcheck as root",
	    path, what);
}

/* SCRIPT: the script whose interpreter PATH is, for messages, or NULL. */
static void check_program_at(const char *path, const char *script, int depth)
{
	struct stat st;
	unsigned char hdr[256];
	ssize_t n;
	int fd;

	if (script && stat(path, &st))
		die(LC_EXIT_NOTFOUND,
		    "cannot run '%s': its interpreter '%s': %s", script, path,
		    strerror(errno));

	if (stat(path, &st))
		die(LC_EXIT_NOTFOUND, "cannot run '%s': %s", path,
		    strerror(errno));
	if (S_ISDIR(st.st_mode))
		die(LC_EXIT_NOEXEC, "cannot run '%s': it is a directory", path);
	if (access(path, X_OK))
		die(LC_EXIT_NOEXEC,
		    "cannot run '%s': not executable (chmod +x '%s')", path,
		    path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(LC_EXIT_NOEXEC, "cannot read '%s': %s", path,
		    strerror(errno));
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
		check_interpreter(path, hdr, n, depth);
		return;
	}
	if (n < (ssize_t)sizeof(Elf64_Ehdr) || memcmp(hdr, ELFMAG, SELFMAG))
		die(LC_EXIT_NOTELF,
		    "'%s' is not an ELF executable; leakcheck runs x86-64 "
		    "Linux programs",
		    path);
	if (hdr[EI_CLASS] != ELFCLASS64)
		die(LC_EXIT_BADARCH,
		    "'%s' is a 32-bit program; leakcheck supports 64-bit "
		    "x86-64 "
		    "programs only",
		    path);
	{
		Elf64_Ehdr eh;
		memcpy(&eh, hdr, sizeof(eh));
		if (eh.e_machine != EM_X86_64)
			die(LC_EXIT_BADARCH,
			    "'%s' is not an x86-64 program (ELF machine %u); "
			    "leakcheck supports x86-64 only",
			    path, eh.e_machine);
		if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
			die(LC_EXIT_NOTELF,
			    "'%s' is an ELF file but not an executable", path);
	}
	check_privileges(path, &st);
}

static void on_sigpipe(int sig)
{
}

/* PF_KTHREAD in /proc/PID/stat's flags (include/linux/sched.h) */
#define KTHREAD_FLAG 0x00200000u

/*
 * Exits with one line if PID is a kernel thread: it has no user memory
 * and no allocator, and ptrace refuses it with EPERM whoever asks, so
 * the hint for EPERM (privileges, a container) would send the user the
 * wrong way.  Anything unreadable is left for the attach to explain.
 */
static void check_not_kernel_thread(int pid)
{
	char path[64], buf[1024], *p;
	unsigned flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	/* "pid (comm) state ppid pgrp session tty tpgid flags ...": comm
	 * may hold spaces and parentheses, the last ')' ends it */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %u", &flags) != 1 ||
	    !(flags & KTHREAD_FLAG))
		return;
	*p = 0;
	die(LC_EXIT_NOPID,
	    "pid %d is a kernel thread (%s): it has no user-space program "
	    "or heap to check",
	    pid, strchr(buf, '(') ? strchr(buf, '(') + 1 : "?");
}

int main(int argc, char **argv)
{
	struct trace_result res = {0};
	struct sigaction sa;
	char *path;
	int ret;

	/* a reader that went away (a pipe, a FIFO output) is a failed
	 * write, not a death that would take a launched program with it; a
	 * handler, unlike SIG_IGN, is not inherited across exec */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	/* a subcommand, not a program: "leakcheck -- merge" traces one */
	if (argc > 1 && !strcmp(argv[1], "merge"))
		return cmd_merge(argc - 1, argv + 1);
	parse_options(argc, argv);
	if (!opt.no_default_supps)
		supp_set_add_defaults(supps());
	if (opt.core) {
		if (opt.npids)
			die(LC_EXIT_USAGE, "give either --pid (--pid-tree) or "
					   "--core, not both");
		if (optind + 1 < argc)
			die(LC_EXIT_USAGE,
			    "with --core, give at most one PROGRAM (its "
			    "executable), no arguments");
		/* a core is one moment: nothing over time */
		if (opt.interval || opt.duration || opt.once ||
		    opt.heap_profile_interval)
			die(LC_EXIT_USAGE,
			    "--core takes no --interval, --duration, --once "
			    "or --heap-profile-interval: a core is one moment");
		return core_report(opt.core,
				   optind < argc ? argv[optind] : NULL);
	}
	if (opt.npids) {
		if (optind < argc)
			die(LC_EXIT_USAGE,
			    "give either --pid or a program to run, not both");
		for (unsigned i = 0; i < opt.npids; i++)
			check_not_kernel_thread(opt.pids[i]);
		ret = tracer_attach(opt.pids, opt.pid_tree, opt.npids, &res);
		if (ret)
			exit(ret);
		if (outfile_failures())
			exit(LC_EXIT_OUTPUT);
		if (opt.error_exitcode && res.errors)
			exit(opt.error_exitcode);
		return 0;
	}
	if (opt.duration || opt.once)
		die(LC_EXIT_USAGE, "--%s needs --pid",
		    opt.once ? "once" : "duration");
	if (optind >= argc) {
		error("no program given; usage: leakcheck [OPTIONS] PROGRAM "
		      "[ARGS...]");
		exit(LC_EXIT_USAGE);
	}
	path = find_program(argv[optind]);
	check_program(path);

	ret = tracer_launch(path, argv + optind, &res);
	free(path);
	if (ret)
		exit(ret);

	/* the report is out; an output that is not says so in the status */
	if (outfile_failures())
		exit(LC_EXIT_OUTPUT);
	if (opt.error_exitcode && res.errors)
		exit(opt.error_exitcode);
	if (WIFSIGNALED(res.status)) {
		int sig = WTERMSIG(res.status);
		struct rlimit rl = {0, 0};
		sigset_t set;
		/* Die of the same signal, without a core of our own. */
		setrlimit(RLIMIT_CORE, &rl);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		fflush(NULL);
		raise(sig);
		exit(128 + sig);
	}
	return WIFEXITED(res.status) ? WEXITSTATUS(res.status) : 1;
}
