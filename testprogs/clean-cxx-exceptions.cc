/* clean-cxx-exceptions: a C++ program that throws and catches exceptions
 * while objects on the stack own heap memory (std::map, std::string); the
 * unwinding destroys them and everything is freed.
 *
 *   for each of 6 input lines: parse it into a std::map<std::string,
 *   std::string> of long keys and values; a bad line throws
 *   std::invalid_argument (its what() string is on the heap, and so is the
 *   exception object, from __cxa_allocate_exception) half-way through,
 *   with the map and strings alive; main catches it and goes on
 *
 * Nothing is live at exit: valgrind says "All heap blocks were freed"
 * (libstdc++'s emergency pool is freed by its freeres).  A checker must
 * report nothing.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

using Fields = std::map<std::string, std::string>;

static Fields parse(const std::string &line)
{
	Fields f;
	std::string::size_type start = 0;

	while (start < line.size()) {
		std::string::size_type end = line.find(';', start);
		if (end == std::string::npos)
			end = line.size();
		std::string item = line.substr(start, end - start);
		std::string::size_type eq = item.find('=');
		if (eq == std::string::npos)
			throw std::invalid_argument("no '=' in the field \"" + item +
						    "\" of a configuration line");
		f[item.substr(0, eq)] = item.substr(eq + 1);
		start = end + 1;
	}
	return f;
}

int main()
{
	static const char *const lines[] = {
		"database_connection_string=postgres://db.example.org/main;pool_size_for_workers=16",
		"log_destination_directory=/var/log/example;this field has no equals sign",
		"cache_eviction_policy=least-recently-used",
		"first_long_field_name=first long value;second_field_without_value",
		"retry_backoff_in_milliseconds=250;maximum_retry_count_per_request=5",
		"broken",
	};
	size_t fields = 0, errors = 0;

	for (const char *line : lines) {
		try {
			Fields f = parse(line);
			fields += f.size();
		} catch (const std::invalid_argument &e) {
			errors++;
		}
	}
	return fields == 5 && errors == 3 ? 0 : 1;
}
