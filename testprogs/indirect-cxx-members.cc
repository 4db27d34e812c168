/* indirect-cxx-members: a C++ object whose members own heap memory (a
 * std::string, a std::vector, a std::map), created with new and never
 * deleted.
 *
 *   main: a = new Account(owner) -> Account (112 bytes):
 *           owner_   std::string, 35 chars   -> its buffer (36 bytes)
 *           history_ std::vector<int>, 10 pushed -> its array (16 ints,
 *                    64 bytes, after growing 1, 2, 4, 8, 16)
 *           tags_    std::map<std::string, int>, 2 entries
 *                    -> 2 tree nodes (72 bytes each; short keys, no
 *                       buffers of their own)
 *         a dropped
 *
 * The Account is definitely lost; what its members own is reached only
 * from it: indirectly lost, 36 + 64 + 2 x 72 = 244 bytes in 4 blocks.
 * The vector's smaller arrays were freed as it grew.
 *
 * EXPECT: definite=112/1 indirect=244/4 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite operator new <- main
 * EXPECT-STACK: indirect operator new <- ... <- (Account::)?deposit <- main
 */
#include <map>
#include <string>
#include <vector>

class Account {
      public:
	explicit Account(const std::string &owner) : owner_(owner)
	{
	}
	void deposit(int amount)
	{
		history_.push_back(amount);
		balance_ += amount;
	}
	void tag(const std::string &key, int value)
	{
		tags_[key] = value;
	}

      private:
	std::string owner_;
	std::vector<int> history_;
	std::map<std::string, int> tags_;
	long balance_ = 0;
};

/* the object, published here and then dropped: -O2 may delete an object
 * that nothing reads */
static void *volatile sink;

int main()
{
	Account *a = new Account("Ada Lovelace, Analytical Engine Ltd");

	for (int i = 1; i <= 10; i++)
		a->deposit(i * 100);
	a->tag("currency", 978);
	a->tag("branch", 7);
	sink = a;
	sink = nullptr;
	a = nullptr; // forgot delete a
	return 0;
}
