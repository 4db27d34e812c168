# bench/run.sh's python3 workload: builds and drops large dicts.
# usage: python3 dicts.py [ROUNDS]
import sys

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
total = 0
for r in range(rounds):
    d = {i: str(i) for i in range(200000)}
    e = {str(i): [i, r] for i in range(0, 200000, 2)}
    total += len(d) + len(e)
    del d, e
print(total)
