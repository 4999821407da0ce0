# Sourced by ./wcache (serve) and ./wcadm (bench), so the worker runs with the same thread
# priorities under both. As root, Java thread priorities become nice values: uploads (Java
# priority 1) at nice 10, the write pipeline and S3 event loops (priority 10) at -5, so background
# uploads give way to the threads that acknowledge writes (docs/DECISIONS.md, docs/PERFORMANCE.md).
# Without root the JVM cannot lower a nice value: nothing is added and priorities stay advisory.
wcache_priority_opts() {
  if [ "$(id -u)" = "0" ]; then
    echo "-XX:ThreadPriorityPolicy=1 -XX:JavaPriority1_To_OSPriority=10"
  fi
}
