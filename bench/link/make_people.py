"""Two files of N people for the linkage benchmark: left = originals, right = the same people
under other ids with the errors of real extracts (a typing error in one surname in five, a
day/month swap in one date in twenty, a missing given name in one in twenty, one in ten moved
to another postcode), in another order; and the true links.
Usage: python3 make_people.py N DIR"""
import csv, random, sys, os

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
syll = ["ma", "ri", "to", "ber", "nar", "du", "bois", "tho", "mas", "ro", "char", "pe", "tit", "ran", "le", "roy",
        "mo", "reau", "si", "mon", "lau", "rent", "mi", "chel", "ga", "ni", "er", "fa", "vre", "guer", "in", "bo"]
given = ["jean", "marie", "pierre", "anne", "louis", "julie", "paul", "claire", "michel", "sophie", "nicolas",
         "camille", "thomas", "lea", "hugo", "chloe", "lucas", "emma", "jules", "ines", "arthur", "jade", "adam",
         "louise", "gabriel", "alice", "raphael", "lina", "leo", "rose"]
def surname():
    return "".join(rng.choice(syll) for _ in range(rng.choice((2, 2, 3, 3, 4))))
def typo(s):
    i = rng.randrange(len(s))
    return s[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + s[i + 1:]
people = []
for i in range(n):
    y, m, d = rng.randint(1920, 2005), rng.randint(1, 12), rng.randint(1, 28)
    people.append((f"L{i}", surname(), rng.choice(given), f"{y}{m:02d}{d:02d}", f"{rng.randint(1000, 9999)}",
                   rng.choice("12")))
os.makedirs(out, exist_ok=True)
header = ["id", "surname", "given_name", "date_of_birth", "postcode", "sex"]
with open(f"{out}/left.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(header); w.writerows(people)
order = list(range(n)); rng.shuffle(order)
with open(f"{out}/right.csv", "w", newline="") as f, open(f"{out}/true_links.csv", "w", newline="") as t:
    w, tw = csv.writer(f), csv.writer(t)
    w.writerow(header); tw.writerow(["left_id", "right_id"])
    for i in order:
        pid, s, g, dob, pc, sex = people[i]
        if rng.random() < 0.2: s = typo(s)
        if rng.random() < 0.05 and int(dob[6:]) <= 12: dob = dob[:4] + dob[6:] + dob[4:6]
        if rng.random() < 0.05: g = ""
        if rng.random() < 0.1: pc = f"{rng.randint(1000, 9999)}"
        w.writerow([f"R{i}", s, g, dob, pc, sex]); tw.writerow([pid, f"R{i}"])
