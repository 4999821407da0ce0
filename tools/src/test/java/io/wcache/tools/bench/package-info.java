/**
 * The end-to-end benchmark driver ({@link io.wcache.tools.bench.EndToEndBenchmark}): one command
 * starts s3proxy (the UFS) and a worker on 127.0.0.1, measures the machine's floors and the system
 * in the same run, and writes {@code results/bench-<UTC time>/} with {@code results.md} (the
 * table), {@code results.json} and PNG charts.
 *
 * <pre>
 * ./wcadm bench [--quick | --profile | --help]
 * # or: mvn -B -ntp -q -pl tools test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.tools.bench.EndToEndBenchmark [-Dexec.args="--quick | --profile | --help"]
 * </pre>
 *
 * <p>Decisions where the issue is silent: clients are closed loops (N threads, one request in
 * flight each) with the AWS SDK's default checksums and SigV4 against both the worker and s3proxy;
 * runs of one concurrency are interleaved (s3proxy, {@code WRITE_THROUGH}, {@code WRITE_BACK}) so
 * drift hits all alike; between phases the persist queue is drained (bounded) so uploads of one
 * phase do not steal the next phase's CPU; a run records at least 20 operations (extending its
 * window up to four times) so a loaded machine still yields a distribution; GET-after-write times
 * the GET only; "cold" objects are written straight into the UFS and read once through the worker;
 * the FUSE file goes to a {@code TRANSIENT} path so that 1 GiB of uploads does not overlap the
 * read-back; the 5,000-object persistence run is compared with s3proxy's direct PUT rate at the
 * persister's parallelism ({@code write.cache.async.persist.thread.pool.size}) measured right after.
 */
package io.wcache.tools.bench;
