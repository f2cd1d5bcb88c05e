# tests/integration/lib.sh — sourced by the integration scripts (not a test).
#
# free_ports N: print the first of N consecutive TCP ports on loopback that
# no socket uses right now (other tests and nodes may be running), chosen
# at random in 20000-49999. Returns 1 if ten tries found none.
free_ports() {
	n=$1
	for try in 1 2 3 4 5 6 7 8 9 10; do
		b=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' |
			awk -v b="$b" -v n="$n" '$1 >= b && $1 < b + n' | head -1)
		if [ -z "$used" ]; then
			echo "$b"
			return 0
		fi
	done
	return 1
}
