// core-cxx: C++ objects held still for a core, at a known point, so that
// a core's report names the leaked ones by class.
//
//   3 x Session (virtual, 96 bytes)       definitely lost
//   Connection (derived from Endpoint)    definitely lost, its Buffer
//     -> Buffer (virtual)                 indirectly lost
//   2 x Session kept in a global vector   still reachable
//   1 x plain struct Point (no vtable)    definitely lost: grouped by size
//
// Usage: core-cxx READY-FILE: writes its pid to READY-FILE and waits
// (pause) for a core.  No EXPECT line: tests/core.sh runs it.
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

#define NOINLINE __attribute__((noinline))

class Session {
public:
	Session(int id) : id_(id)
	{
		std::memset(name_, 's', sizeof(name_));
	}
	virtual ~Session()
	{
	}
	virtual int id() const
	{
		return id_;
	}

private:
	int id_;
	char name_[76];
};

class Buffer {
public:
	virtual ~Buffer()
	{
	}
	char data[40];
};

class Endpoint {
public:
	virtual ~Endpoint()
	{
	}
	virtual const char *kind() const
	{
		return "endpoint";
	}
};

class Connection : public Endpoint {
public:
	Connection() : buf(new Buffer)
	{
	}
	const char *kind() const override
	{
		return "connection";
	}
	Buffer *buf;
	long fd = 3;
};

struct Point {
	long x, y, z;
};

std::vector<Session *> sessions;
void *volatile sink;

static NOINLINE void leak_sessions()
{
	for (int i = 0; i < 3; i++)
		sink = new Session(i);
	sink = nullptr;
}

static NOINLINE void leak_connection()
{
	sink = new Connection;
	sink = nullptr;
}

static NOINLINE void leak_point()
{
	Point *p = new Point{1, 2, 3};
	sink = p;
	sink = nullptr;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: core-cxx READY-FILE\n");
		return 2;
	}
	sessions.reserve(4);
	leak_sessions();
	leak_connection();
	leak_point();
	sessions.push_back(new Session(10));
	sessions.push_back(new Session(11));
	FILE *f = std::fopen(argv[1], "w");
	if (!f)
		return 1;
	std::fprintf(f, "%d\n", (int)getpid());
	std::fclose(f);
	for (;;)
		pause();
}
