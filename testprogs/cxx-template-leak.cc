/* cxx-template-leak: leaks from template functions whose demangled names
 * hold '<', '>' and '&' (what XML must escape), from two call sites with
 * the same functions, so two loss records get the same JUnit name.
 *
 *   make_box<Pair<int, char>>(Pair<int, char> const&) -> 16 bytes, dropped
 *   make_box<Pair<long, Tag<3>>>(...)                  -> 24 bytes, dropped
 *       called from keep_two() twice: two records, same three functions
 *
 * tests/formats.sh checks the JUnit names; run.sh the summary.  (libstdc++'s
 * emergency pool is freed at exit: see cxx-new-delete.)
 *
 * EXPECT: definite=80/4 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

template <int N> struct Tag {
	long pad[N - 2];
};

template <typename A, typename B> struct Pair {
	A a;
	B b;
	long more;
};

template <typename T> NOINLINE T *make_box(const T &v)
{
	return new T(v);
}

static NOINLINE void keep_two(void)
{
	Pair<int, char> p1 = {1, 'x', 0};
	Pair<long, Tag<3>> p2 = {2, {{0}}, 0};
	Pair<int, char> *volatile a = make_box(p1);
	Pair<long, Tag<3>> *volatile b = make_box(p2);
	a = make_box(p1);
	b = make_box(p2);
	(void)a;
	(void)b;
}

int main()
{
	keep_two();
	return 0;
}
