/* definite-cxx-exception: the classic C++ leak: an object owned by a raw
 * pointer, and an exception thrown between its new and its delete.
 *
 *   for each of 3 records: r = new Record(text) (Record: 40 bytes, a
 *   std::string member and an int); check(*r) throws std::runtime_error
 *   for the bad record, so "delete r" is skipped; main catches and goes on
 *
 *   the bad Record (40 bytes)                 definitely lost
 *   its std::string's buffer (40 chars: 41)   indirectly lost
 *
 * Everything else (the good records, the exception object and its
 * message) is freed; libstdc++'s emergency pool is freed by its freeres.
 *
 * EXPECT: definite=40/1 indirect=41/1 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite operator new <- process <- main
 * VG-EXPECT-STACK[clang-O2]: definite operator new <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdexcept>
#include <string>

struct Record {
	std::string text;
	int checked = 0;
	explicit Record(const char *t) : text(t)
	{
	}
};

static void check(Record &r)
{
	if (r.text.find("corrupt") != std::string::npos)
		throw std::runtime_error("corrupt record: " + r.text);
	r.checked = 1;
}

static int process(const char *text)
{
	Record *r = new Record(text);

	check(*r); // throws: the delete below is skipped
	int ok = r->checked;
	delete r;
	return ok;
}

int main()
{
	static const char *const texts[] = {
		"first record, long enough for the heap",
		"second record: corrupt, and long as well",
		"third record, long enough for the heap too",
	};
	int good = 0, bad = 0;

	for (const char *t : texts) {
		try {
			good += process(t);
		} catch (const std::runtime_error &e) {
			bad++;
		}
	}
	return good == 2 && bad == 1 ? 0 : 1;
}
