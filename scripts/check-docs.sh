#!/usr/bin/env bash
# The repository points only inside itself. Fails (exit 1, one line per problem) when:
#   1. a relative link in a Markdown file, [text](path) or ![alt](path), names a file or folder that does not exist,
#      or one outside the repository, or a #section that is not a heading of the Markdown file it names;
#   2. a docs/<file> reference in any text file (code comments, project files, scripts, Markdown) names a file that
#      does not exist, or a #section that is not one of its headings (references are relative to the repository root);
#   3. a text file names an absolute path of a build machine: one under a workspace root or a home folder (the roots
#      are listed in build_machine_roots and home_roots below, and C:\Users\...).
#      Only those roots are build-machine places; system and container paths (/usr, /etc, /var, /tmp, /app, /data,
#      /opt, ...) name the same thing on every machine and are allowed. The home roots are allowed in
#      container definitions (deploy/Dockerfile*, deploy/**/*.yml|yaml), where they are the image's own folders.
#      A path counts only where it starts a token (after a space, quote, bracket, '=', ':', ',' or a line start), so
#      URLs (https://host/x) and relative paths (../x, ~/x) are not flagged.
# Files: those tracked by git (so build output and .rnnsweep are never read); outside a git checkout, every file except
# .git, bin, obj, .rnnsweep and TestResults. Binary files are skipped. Rules 2 and 3 skip this script, which spells
# their patterns out.
# Usage: scripts/check-docs.sh [ROOT]   (default: the repository that holds this script)
set -euo pipefail
export LC_ALL=C
root="$(cd "${1:-$(dirname "$0")/..}" && pwd -P)"
self="scripts/check-docs.sh"
problems=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

problem() {
  echo "$1" >&2
  problems=$((problems + 1))
}

in_git() { git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; }

# Relative paths of the files to check, one per line (optionally only those ending in $1).
files() {
  if in_git; then
    git -C "$root" ls-files -z -- "*${1:-}" | tr '\0' '\n'
  else
    (cd "$root" && find . \( -name .git -o -name bin -o -name obj -o -name .rnnsweep -o -name TestResults \) -prune \
      -o -type f ${1:+-name "*$1"} -print | sed 's|^\./||')
  fi
}

# Writes every match of a Perl regex in the files to check to the file $1, as path:line:match. Further args: globs of
# paths to leave out (a * crosses folders). Stops the script when the search itself fails (grep's status 2, e.g. a
# git or grep without Perl regexes), so that a broken search never passes as "nothing found".
search() {
  local out="$1" pattern="$2"; shift 2
  local status=0 line file x skip
  if in_git; then
    git -C "$root" grep -nIPo -e "$pattern" >"$tmp/matches" || status=$?
  else
    (cd "$root" && grep -rnIPo --exclude-dir={.git,bin,obj,.rnnsweep,TestResults} -e "$pattern" .) >"$tmp/matches" || status=$?
  fi
  if ((status > 1)); then
    echo "check-docs: searching for $pattern failed (status $status)" >&2
    exit 2
  fi
  : >"$out"
  while IFS= read -r line; do
    line="${line#./}"; file="${line%%:*}"; skip=0
    for x in "$@"; do [[ "$file" == $x ]] && skip=1; done
    ((skip)) || echo "$line" >>"$out"
  done <"$tmp/matches"
}

# The anchors of a Markdown file's headings, one per line, as GitHub makes them: lowercase, punctuation dropped,
# spaces to hyphens, a -1, -2 ... suffix for repeats. Headings inside fenced code blocks do not count.
anchors() {
  awk '
    /^[ ]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    /^#+[ \t]/ {
      s = $0
      sub(/^#+[ \t]+/, "", s); sub(/[ \t]+#*[ \t]*$/, "", s)
      s = tolower(s)
      gsub(/[^a-z0-9 _-]/, "", s); gsub(/ /, "-", s)
      if (seen[s]++) s = s "-" (seen[s] - 1)
      print s
    }' "$1"
}

# Checks one reference: $1 where it was found (for the message), $2 the file it names (absolute), $3 the #section or "".
check_target() {
  local where="$1" target="$2" section="$3"
  local resolved
  resolved="$(realpath -m "$target")"
  if [[ "$resolved" != "$root" && "$resolved" != "$root/"* ]]; then
    problem "$where: points outside the repository: ${target#"$root/"}"
    return
  fi
  if [[ ! -e "$resolved" ]]; then
    problem "$where: no such file: ${resolved#"$root/"}"
    return
  fi
  if [[ -n "$section" && "$resolved" == *.md ]] && ! anchors "$resolved" | grep -qxF -- "$section"; then
    problem "$where: ${resolved#"$root/"} has no section #$section"
  fi
}

# 1. Relative links in Markdown files (outside fenced code blocks).
links=0
while IFS= read -r md; do
  while IFS=$'\t' read -r line target; do
    [[ -z "$target" ]] && continue
    links=$((links + 1))
    [[ "$target" =~ ^[A-Za-z][A-Za-z0-9+.-]*: ]] && continue # https:, mailto:, ...
    path="${target%%#*}"; section=""
    [[ "$target" == *"#"* ]] && section="${target#*#}"
    if [[ -z "$path" ]]; then file="$root/$md"; else file="$(dirname "$root/$md")/$path"; fi
    check_target "$md:$line" "$file" "$section"
  done < <(awk '
    /^[ ]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    {
      s = $0
      while (match(s, /\]\([^) \t]+( +"[^"]*")?\)/)) {
        t = substr(s, RSTART + 2, RLENGTH - 3); sub(/ +".*$/, "", t)
        print NR "\t" t
        s = substr(s, RSTART + RLENGTH)
      }
    }' "$root/$md")
done < <(files .md)

# 2. docs/... references anywhere, relative to the repository root.
refs=0
search "$tmp/refs" '(?<![\w./-])docs/[\w./-]*[\w/-](?:#[\w-]+)?' "$self"
while IFS= read -r hit; do
  where="${hit%:*}"; ref="${hit##*:}"
  refs=$((refs + 1))
  path="${ref%%#*}"; section=""
  [[ "$ref" == *"#"* ]] && section="${ref#*#}"
  check_target "$where" "$root/$path" "$section"
done <"$tmp/refs"

# 3. Absolute paths of a build machine.
start='(?<![\w.~$}/\\-])'
rest='[^\s"\x27\x60()<>\];,]*' # the rest of the path, for the message
# The roots are named without their leading slash so that this script does not itself hold such a path.
build_machine_roots='work(?![\w.-])|Users/[\w.-]+'
home_roots='root(?![\w.-])|home/[\w.-]+'
search "$tmp/work" "$start""(/(?:$build_machine_roots)|[A-Za-z]:[\\\\/]{1,2}Users[\\\\/])""$rest" "$self"
search "$tmp/home" "$start""/(?:$home_roots)""$rest" "$self" 'deploy/Dockerfile*' 'deploy/*.yml' 'deploy/*.yaml'
# 4. The workspace's shared folder beside the repository (design notes, data): the project stands on its own, so no
#    file may send a reader there; corpora come from a data directory given by the user (--data-dir, RNNSWEEP_DATA_DIR).
search "$tmp/beside" '(?<![\w.-])\.\./shar''ed/'"$rest" "$self"
while IFS= read -r hit; do
  problem "$(cut -d: -f1-2 <<<"$hit"): points outside the repository ($(cut -d: -f3- <<<"$hit")); name a data directory the user gives instead"
done <"$tmp/beside"

while IFS= read -r hit; do
  problem "$(cut -d: -f1-2 <<<"$hit"): names a build machine's path ($(cut -d: -f3- <<<"$hit")); use a path relative to the repository, or describe the place"
done < <(cat "$tmp/work" "$tmp/home")

if ((problems > 0)); then
  echo "check-docs: $problems problem(s) in $root" >&2
  exit 1
fi
echo "check-docs: ok ($links Markdown links, $refs docs/ references, no build-machine path)"
