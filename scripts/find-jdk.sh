# Sourced by ./build, ./e8q and .ci/run: exports JAVA_HOME pointing at a JDK >= 25.
# Order: JAVA_HOME if it is >= 25, then any JDK >= 25 under /usr/lib/jvm (newest first).
e8q_java_major() {  # $1 = a JDK home; prints its feature version or nothing
  local rel="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  echo "$v"
}
e8q_find_jdk() {
  local v cand best="" bestv=0
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(e8q_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -d "$cand" ] || continue
    v=$(e8q_java_major "$cand")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best="$cand"; bestv="$v"; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  return 1
}
if JAVA_HOME=$(e8q_find_jdk); then
  export JAVA_HOME
  export PATH="$JAVA_HOME/bin:$PATH"
else
  echo "e8q: no JDK 25 found (JAVA_HOME=${JAVA_HOME:-unset}, nothing >= 25 under /usr/lib/jvm)." >&2
  echo "e8q: install one, e.g. 'apt-get install temurin-25-jdk', or set JAVA_HOME to a JDK 25." >&2
  exit 1
fi
