#!/usr/bin/env bash
# Sourced by .ci/run and ./qkv: points JAVA_HOME at a JDK 25 or newer.
# Tries $JAVA_HOME, then the `java` on PATH, then every JDK under /usr/lib/jvm and /opt.
qkv_java_version() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}
qkv_select_jdk() {
  local cand v
  local path_java
  path_java=$(command -v java 2>/dev/null || true)
  [ -n "$path_java" ] && path_java=$(dirname "$(dirname "$(readlink -f "$path_java")")")
  for cand in "${JAVA_HOME:-}" "$path_java" /usr/lib/jvm/* /opt/*jdk* /opt/java/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    v=$(qkv_java_version "$cand")
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$cand"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "qkv needs a JDK 25 or newer; none found (set JAVA_HOME)." >&2
  return 1
}
qkv_select_jdk
