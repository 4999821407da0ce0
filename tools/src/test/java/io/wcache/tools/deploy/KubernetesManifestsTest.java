package io.wcache.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.persister.ufs.S3UfsConfig;
import io.wcache.worker.WorkerMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * deploy/kubernetes is checked the way an API server with strict field validation and the worker
 * itself would check it, without a cluster: every object binds to the Kubernetes API model with no
 * unknown field, the FoundationDBCluster validates against the operator's CRD schema, and each
 * worker container's arguments parse with the {@code wcache} command line and its config (the
 * ConfigMap's text plus the arguments, the Secret's files and variables taken from their examples) loads
 * with the worker's own config loader. The wiring between objects (selectors, ports, volumes,
 * Secret keys, the operator's ConfigMap, probe routes) is checked too. The negative tests show
 * each check refuses a broken manifest.
 */
class KubernetesManifestsTest {

    static final Path DIR = Path.of("..", "deploy", "kubernetes").toAbsolutePath().normalize();
    /** Applied separately, after the operator edits node names (README.md). */
    static final String LOCAL_VOLUMES = "local-persistent-volumes.yaml";
    static final String WORKER_IMAGE = "wcache-worker";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** One YAML document of a manifest file. */
    record Doc(String file, int index, JsonNode node) {
        String kindAndName() {
            return node.path("kind").asText() + "/" + node.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return file + "#" + index + " (" + kindAndName() + ")";
        }
    }

    /** The fields of kustomization.yaml this directory uses; any other is an error. */
    record Kustomization(String apiVersion, String kind, String namespace, List<String> resources,
                         List<SecretGenerator> secretGenerator, List<Image> images) {
    }

    record SecretGenerator(String name, List<String> envs, List<String> files) {
    }

    record Image(String name, String newName, String newTag) {
    }

    // ---------------------------------------------------------------- the files and kustomize

    @Test
    void kustomizationListsEveryManifestButTheLocalVolumesAndUsesOnlyKnownFields() throws IOException {
        Kustomization k = kustomization();
        assertThat(k.apiVersion()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(k.kind()).isEqualTo("Kustomization");
        List<String> manifests;
        try (Stream<Path> files = Files.list(DIR)) {
            manifests = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                    .sorted().toList();
        }
        List<String> expected = new ArrayList<>(manifests);
        expected.remove(LOCAL_VOLUMES);
        assertThat(k.resources()).containsExactlyInAnyOrderElementsOf(expected);
        for (SecretGenerator g : k.secretGenerator()) {
            for (String f : concat(g.envs(), g.files())) {
                assertThat(DIR.resolve(f + ".example")).as("the example of %s", f).isRegularFile();
                assertThat(DIR.resolve(f)).as("%s holds secrets: never in the repository", f).doesNotExist();
            }
        }
        assertThat(k.images()).extracting(Image::name).containsExactly(WORKER_IMAGE);
    }

    @Test
    void theKustomizationModelRefusesAFieldItDoesNotKnow() {
        assertThatThrownBy(() -> strictYaml().readValue("apiVersion: v1\nkind: Kustomization\nnamespce: x\n",
                Kustomization.class)).hasMessageContaining("namespce");
    }

    @Test
    void kustomizeBuildsTheDirectoryAndEveryObjectItEmitsBindsStrictly() throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(d -> !d.isBlank()).map(d -> Path.of(d, "kubectl")).filter(Files::isExecutable).findFirst()
                .orElse(null);
        if (kubectl == null) {
            System.err.println("NOTICE: kustomize build not checked: no kubectl on PATH");
            org.junit.jupiter.api.Assumptions.abort("no kubectl on PATH");
        }
        // A copy with the Secret's files made from their examples, as an operator's would be.
        Path copy = Files.createTempDirectory("wcache-kustomize");
        try {
            try (Stream<Path> files = Files.list(DIR)) {
                for (Path f : files.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
            Kustomization k = kustomization();
            for (SecretGenerator g : k.secretGenerator()) {
                for (String f : concat(g.envs(), g.files())) {
                    Files.copy(DIR.resolve(f + ".example"), copy.resolve(f));
                }
            }
            Process p = new ProcessBuilder(kubectl.toString(), "kustomize", copy.toString())
                    .redirectError(copy.resolve("kustomize.err").toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(copy.resolve("kustomize.err"))).isZero();
            List<JsonNode> built = YAML.readerFor(JsonNode.class).<JsonNode>readValues(out).readAll();
            String secretName = null;
            for (JsonNode d : built) {
                if (d.path("kind").asText().equals("Secret")) {
                    secretName = d.at("/metadata/name").asText();
                    assertThat(d.path("data").has("s3-credentials.args")).isTrue();
                }
            }
            assertThat(secretName).as("the generated Secret").startsWith("wcache-secrets-");
            for (JsonNode d : built) {
                String kind = d.path("kind").asText();
                if (!Set.of("Namespace", "StorageClass").contains(kind)) {
                    assertThat(d.at("/metadata/namespace").asText()).as("%s's namespace", kind).isEqualTo(k.namespace());
                }
                if (kind.equals("FoundationDBCluster")) {
                    assertThat(crdErrors(d)).isEmpty();
                } else {
                    StrictKubernetesModel.parse(d);
                }
                if (kind.equals("StatefulSet") || kind.equals("DaemonSet")) {
                    // Every reference to the Secret follows its generated, hashed name.
                    assertThat(d.toString()).doesNotContain("\"wcache-secrets\"").contains("\"" + secretName + "\"");
                }
            }
            assertThat(built).hasSize(allDocs().size() - docs(LOCAL_VOLUMES).size() + 1);
        } finally {
            try (Stream<Path> files = Files.list(copy)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(copy);
        }
    }

    // ---------------------------------------------------------------- the Kubernetes API model

    @Test
    void everyObjectBindsToTheKubernetesApiModelWithNoUnknownField() throws IOException {
        List<String> failures = new ArrayList<>();
        int bound = 0;
        for (Doc d : allDocs()) {
            if (isFoundationDbCluster(d.node())) {
                continue;
            }
            try {
                HasMetadata o = StrictKubernetesModel.parse(d.node());
                assertThat(o.getMetadata().getName()).as("%s has a name", d).isNotBlank();
                bound++;
            } catch (IllegalArgumentException e) {
                failures.add(d + ": " + e.getMessage());
            }
        }
        assertThat(failures).isEmpty();
        assertThat(bound).as("objects bound").isGreaterThanOrEqualTo(14);
    }

    @Test
    void theStrictModelRefusesAnUnknownFieldAndAMistypedValue() throws IOException {
        ObjectNode sts = (ObjectNode) only("StatefulSet", "wcache").node().deepCopy();
        ((ObjectNode) sts.get("spec")).put("replica", 3);
        assertThatThrownBy(() -> StrictKubernetesModel.parse(sts)).hasMessageContaining(".spec.replica");

        ObjectNode probe = (ObjectNode) only("StatefulSet", "wcache").node().deepCopy();
        ((ObjectNode) probe.at("/spec/template/spec/containers/0")).set("livenesProbe",
                probe.at("/spec/template/spec/containers/0/livenessProbe"));
        assertThatThrownBy(() -> StrictKubernetesModel.parse(probe)).hasMessageContaining("livenesProbe");

        ObjectNode typed = (ObjectNode) only("StatefulSet", "wcache").node().deepCopy();
        ((ObjectNode) typed.get("spec")).put("replicas", "three");
        assertThatThrownBy(() -> StrictKubernetesModel.parse(typed)).isInstanceOf(IllegalArgumentException.class);

        ObjectNode kind = (ObjectNode) only("StatefulSet", "wcache").node().deepCopy();
        kind.put("apiVersion", "apps/v1beta1");
        assertThatThrownBy(() -> StrictKubernetesModel.parse(kind)).hasMessageContaining("no Kubernetes model");
    }

    // ---------------------------------------------------------------- FoundationDBCluster

    @Test
    void theFoundationDbClusterValidatesAgainstTheOperatorsCrd() throws IOException {
        Doc fdb = only("FoundationDBCluster", null);
        assertThat(crdErrors(fdb.node())).isEmpty();
    }

    @Test
    void theCrdCheckRefusesAnUnknownFieldAWrongEnumAndABadVersion() throws IOException {
        ObjectNode unknown = (ObjectNode) only("FoundationDBCluster", null).node().deepCopy();
        ((ObjectNode) unknown.get("spec")).put("processCount", 3);
        assertThat(crdErrors(unknown)).anyMatch(e -> e.contains(".spec.processCount: unknown field"));

        ObjectNode nested = (ObjectNode) only("FoundationDBCluster", null).node().deepCopy();
        ((ObjectNode) nested.at("/spec/processes/general/podTemplate/spec/containers/0")).put("imag", "x");
        assertThat(crdErrors(nested)).anyMatch(e -> e.contains("containers[0].imag: unknown field"));

        ObjectNode mode = (ObjectNode) only("FoundationDBCluster", null).node().deepCopy();
        ((ObjectNode) mode.at("/spec/databaseConfiguration")).put("redundancy_mode", "quadruple");
        assertThat(crdErrors(mode)).anyMatch(e -> e.contains("redundancy_mode: 'quadruple' is not one of"));

        ObjectNode version = (ObjectNode) only("FoundationDBCluster", null).node().deepCopy();
        ((ObjectNode) version.get("spec")).put("version", "7.1");
        assertThat(crdErrors(version)).anyMatch(e -> e.contains(".spec.version: '7.1' does not match"));

        ObjectNode meta = (ObjectNode) only("FoundationDBCluster", null).node().deepCopy();
        ((ObjectNode) meta.get("metadata")).put("labelz", "x");
        assertThat(crdErrors(meta)).anyMatch(e -> e.contains("labelz"));
    }

    /** The errors of a FoundationDBCluster document against the stored CRD; metadata against ObjectMeta. */
    static List<String> crdErrors(JsonNode cr) throws IOException {
        JsonNode crd = crd();
        String group = crd.at("/spec/group").asText();
        List<String> errors = new ArrayList<>();
        String apiVersion = cr.path("apiVersion").asText();
        JsonNode version = null;
        for (JsonNode v : crd.at("/spec/versions")) {
            if (apiVersion.equals(group + "/" + v.path("name").asText()) && v.path("served").asBoolean()) {
                version = v;
            }
        }
        if (version == null || !cr.path("kind").asText().equals(crd.at("/spec/names/kind").asText())) {
            return List.of("the CRD serves no " + apiVersion + " " + cr.path("kind").asText());
        }
        try {
            StrictKubernetesModel.parseMetadata(cr.path("metadata"));
        } catch (IllegalArgumentException e) {
            errors.add(".metadata: " + e.getMessage());
        }
        ObjectNode rest = cr.deepCopy();
        rest.remove("metadata");
        errors.addAll(StructuralSchema.validate(rest, version.at("/schema/openAPIV3Schema")));
        return errors;
    }

    // ---------------------------------------------------------------- the workers' command line and config

    @Test
    void everyWorkerContainersArgumentsAndConfigLoadWithTheWorkersOwnParsers() throws IOException {
        List<WorkerContainer> workers = workerContainers();
        assertThat(workers).extracting(w -> w.owner().kindAndName())
                .containsExactlyInAnyOrder("StatefulSet/wcache", "DaemonSet/wcache-fuse");
        for (WorkerContainer w : workers) {
            LoadedWorker loaded = load(w, configMapText(w));
            WcacheConfig cfg = loaded.config();
            String where = w.owner().toString();

            // Metadata in FoundationDB, through the cluster file the init container writes.
            String engine = cfg.get(ConfigKeys.METADATA_ENGINE);
            assertThat(engine).as(where).startsWith("fdb:");
            Path clusterFile = Path.of(engine.substring("fdb:".length()));
            Container init = w.pod().getInitContainers().stream().filter(c -> c.getName().equals("fdb-client"))
                    .findFirst().orElseThrow();
            String outputDir = argAfter(init.getArgs(), "--output-dir");
            assertThat(argAfter(init.getArgs(), "--copy-file")).isEqualTo(clusterFile.getFileName().toString());
            assertThat(clusterFile.getParent()).as(where).isEqualTo(Path.of(outputDir));
            assertThat(volumeAt(w, init, outputDir)).isEqualTo(volumeAt(w, w.container(), outputDir));
            assertThat(env(w.container(), "LD_LIBRARY_PATH")).isEqualTo(outputDir + "/lib");

            // The cache and data directory on the volume meant for them, not in the container's layer.
            assertThat(volumeAt(w, w.container(), cfg.dataDir().toString())).as(where).isEqualTo("cache");
            for (Path dir : cfg.cacheDirs()) {
                assertThat(volumeAt(w, w.container(), dir.toString())).as(where).isEqualTo("cache");
            }

            // The ports the config listens on are the container's named ports, on every interface.
            assertThat(cfg.s3Address().port()).isEqualTo(containerPort(w.container(), "s3"));
            assertThat(cfg.adminAddress().port()).isEqualTo(containerPort(w.container(), "admin"));
            // The internal transport binds the pod's IP, which it registers and the other workers reach.
            assertThat(cfg.get(ConfigKeys.CLUSTER_INTERNAL_ADDRESS).port()).isEqualTo(containerPort(w.container(), "internal"));
            assertThat(cfg.get(ConfigKeys.CLUSTER_INTERNAL_ADDRESS).host()).isEqualTo(SAMPLE_POD_FIELDS.get("status.podIP"));
            assertThat(cfg.s3Address().host()).isEqualTo("0.0.0.0");
            assertThat(cfg.adminAddress().host()).isEqualTo("0.0.0.0");
            assertThat(cfg.get(ConfigKeys.S3_CREDENTIALS)).as(where).isNotEmpty();
            assertThat(w.container().getEnv()).anyMatch(e -> e.getName().equals("WCACHE_ADMIN_TOKEN")
                    && e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null);

            // Each S3 mount's options are ones the S3 UFS knows (it refuses others at start).
            assertThat(cfg.mounts().mounts()).as(where).isNotEmpty();
            for (Mount m : cfg.mounts().mounts()) {
                if (m.isS3()) {
                    S3UfsConfig.parse(m.ufsUri(), m.options());
                }
            }
        }
    }

    @Test
    void noSecretIsOnAWorkersCommandLine() throws IOException {
        // The kubelet expands $(VAR) into the process's arguments, which root on the node can list.
        for (WorkerContainer w : workerContainers()) {
            List<String> args = expand(w.container().getArgs(), w.container(), exampleSecrets());
            for (String value : exampleSecrets().values()) {
                assertThat(args).noneMatch(a -> a.contains(value));
            }
            assertThat(args).noneMatch(a -> a.contains("s3.credentials"));
            assertThat(load(w, configMapText(w)).config().get(ConfigKeys.S3_CREDENTIALS)).as(
                    "%s gets its S3 keys from the Secret's argument file", w.owner()).isNotEmpty();
        }
    }

    @Test
    void theFuseWorkerMountsUnderItsBidirectionalHostPath() throws IOException {
        WorkerContainer fuse = workerContainers().stream()
                .filter(w -> w.owner().kindAndName().equals("DaemonSet/wcache-fuse")).findFirst().orElseThrow();
        LoadedWorker loaded = load(fuse, configMapText(fuse));
        assertThat(loaded.fuseMount()).isNotNull();
        VolumeMount propagated = fuse.container().getVolumeMounts().stream()
                .filter(vm -> "Bidirectional".equals(vm.getMountPropagation())).findFirst().orElseThrow();
        assertThat(loaded.fuseMount().startsWith(Path.of(propagated.getMountPath()))).isTrue();
        assertThat(loaded.fuseMount()).isNotEqualTo(Path.of(propagated.getMountPath()));
        Volume hostDir = volume(fuse.pod(), propagated.getName());
        assertThat(hostDir.getHostPath()).isNotNull();
        assertThat(fuse.container().getSecurityContext().getPrivileged()).isTrue();
        assertThat(fuse.container().getVolumeMounts()).anyMatch(vm -> vm.getMountPath().equals("/dev/fuse"));
        WorkerContainer sts = workerContainers().stream()
                .filter(w -> w.owner().kindAndName().equals("StatefulSet/wcache")).findFirst().orElseThrow();
        assertThat(load(sts, configMapText(sts)).fuseMount()).isNull();
    }

    @Test
    void theConfigCheckRefusesAMisspeltKeyABadValueAndAnUnknownMountOption() throws IOException {
        WorkerContainer w = workerContainers().get(0);
        String text = configMapText(w);
        assertThatThrownBy(() -> load(w, text.replace("cache.capacity:", "cache.capcity:")))
                .isInstanceOf(WcacheException.class).hasMessageContaining("cache.capcity");
        assertThatThrownBy(() -> load(w, text.replace("s3.auth: sigv4", "s3.auth: v4")))
                .isInstanceOf(WcacheException.class).hasMessageContaining("s3.auth");
        WcacheConfig badOption = load(w, text.replace("region: us-east-1", "regoin: us-east-1")).config();
        Mount m = badOption.mounts().mounts().get(0);
        assertThatThrownBy(() -> S3UfsConfig.parse(m.ufsUri(), m.options())).hasMessageContaining("regoin");
        assertThatThrownBy(() -> parseArgs(List.of("serve", "--confg", "/etc/wcache/wcache.yaml")))
                .isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void probesUseTheAdminApisOpenHealthRouteOnTheAdminPort() throws Exception {
        Set<String> open = openAdminRoutes();
        assertThat(open).contains("/health");
        for (WorkerContainer w : workerContainers()) {
            Container c = w.container();
            for (Probe p : List.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
                assertThat(p).as("%s has startup, readiness and liveness probes", w.owner()).isNotNull();
                HTTPGetAction get = p.getHttpGet();
                assertThat(open).as("%s probes an admin route that needs no token", w.owner()).contains(get.getPath());
                assertThat(get.getPort().getStrVal()).isEqualTo("admin");
                assertThat(get.getScheme()).as("plain HTTP, as admin.tls.* are unset").isNull();
            }
            assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).containsKey("memory");
        }
    }

    @Test
    void eachWorkerHasItsOwnStableNameInTheCluster() throws Exception {
        // Workers sharing one metadata store must not share a name: extents and sessions are recorded under it.
        Set<String> names = new java.util.HashSet<>();
        Pattern workerName = (Pattern) accessible(WorkerMain.class.getDeclaredField("WORKER_NAME")).get(null);
        for (WorkerContainer w : workerContainers()) {
            // A StatefulSet pod keeps its name (wcache-N); a DaemonSet pod gets a new random one when re-created.
            String prefix = w.owner().node().at("/metadata/name").asText() + "-";
            boolean stable = w.owner().node().path("kind").asText().equals("StatefulSet");
            Map<String, String> podA = Map.of("metadata.name", prefix + (stable ? "0" : "b7k2q"),
                    "spec.nodeName", "node-1", "status.podIP", "10.0.0.1");
            Map<String, String> podB = Map.of("metadata.name", prefix + (stable ? "1" : "x9p4d"),
                    "spec.nodeName", "node-2", "status.podIP", "10.0.0.2");
            Map<String, String> recreated = Map.of("metadata.name", prefix + (stable ? "0" : "m3z8w"),
                    "spec.nodeName", "node-1", "status.podIP", "10.0.0.9");
            String a = nameOf(w, podA);
            String b = nameOf(w, podB);
            assertThat(a).as("%s names its worker", w.owner()).isNotNull().isNotEqualTo(b);
            assertThat(workerName.matcher(a).matches()).as("%s: '%s' is a worker name", w.owner(), a).isTrue();
            // A pod re-created on the same node (DaemonSet) or with the same ordinal (StatefulSet)
            // finds its own cache again only under the same name.
            assertThat(nameOf(w, recreated)).isEqualTo(a);
            assertThat(names.add(a)).as("%s's worker names differ from the others'", w.owner()).isTrue();
            assertThat(names.add(b)).isTrue();
        }
    }

    private static String nameOf(WorkerContainer w, Map<String, String> fields) throws IOException {
        List<String> args = withArgumentFiles(w, expand(w.container().getArgs(), w.container(), exampleSecrets(), fields));
        return parseArgs(args).subcommand().matchedOptionValue("--name", null);
    }

    private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member) {
        member.setAccessible(true);
        return member;
    }

    // ---------------------------------------------------------------- wiring between objects

    @Test
    void servicesSelectTheWorkersAndNameTheirPorts() throws IOException {
        StatefulSet sts = (StatefulSet) StrictKubernetesModel.parse(only("StatefulSet", "wcache").node());
        Map<String, String> podLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
        Container worker = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        Service headless = (Service) StrictKubernetesModel.parse(only("Service", sts.getSpec().getServiceName()).node());
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        for (String name : List.of(sts.getSpec().getServiceName(), "wcache-s3")) {
            Service s = (Service) StrictKubernetesModel.parse(only("Service", name).node());
            assertThat(podLabels).containsAllEntriesOf(s.getSpec().getSelector());
            for (ServicePort p : s.getSpec().getPorts()) {
                assertThat(containerPort(worker, p.getTargetPort().getStrVal())).isEqualTo(p.getPort());
            }
        }
        assertThat(sts.getSpec().getSelector().getMatchLabels()).isEqualTo(podLabels);
    }

    @Test
    void oneWorkerPerNodeOnLocalNvmeVolumes() throws IOException {
        StatefulSet sts = (StatefulSet) StrictKubernetesModel.parse(only("StatefulSet", "wcache").node());
        List<PodAffinityTerm> terms = sts.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution();
        assertThat(terms).hasSize(1);
        assertThat(terms.get(0).getTopologyKey()).isEqualTo("kubernetes.io/hostname");
        assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(terms.get(0).getLabelSelector().getMatchLabels());

        StorageClass local = (StorageClass) StrictKubernetesModel.parse(only("StorageClass", null).node());
        assertThat(local.getProvisioner()).isEqualTo("kubernetes.io/no-provisioner");
        assertThat(local.getVolumeBindingMode()).isEqualTo("WaitForFirstConsumer");
        assertThat(local.getReclaimPolicy()).isEqualTo("Retain");
        assertThat(sts.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(t -> {
            assertThat(t.getMetadata().getName()).isEqualTo("cache");
            assertThat(t.getSpec().getStorageClassName()).isEqualTo(local.getMetadata().getName());
        });
        for (Doc d : docs(LOCAL_VOLUMES)) {
            PersistentVolume pv = (PersistentVolume) StrictKubernetesModel.parse(d.node());
            assertThat(pv.getSpec().getStorageClassName()).isEqualTo(local.getMetadata().getName());
            assertThat(pv.getSpec().getLocal().getPath()).isNotBlank();
            assertThat(pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms()).isNotEmpty();
        }
    }

    @Test
    void secretAndConfigMapReferencesResolve() throws IOException {
        Map<String, String> secrets = exampleSecrets();
        Set<String> generated = kustomization().secretGenerator().stream().map(SecretGenerator::name)
                .collect(Collectors.toSet());
        Set<String> configMaps = new java.util.HashSet<>();
        for (Doc d : allDocs()) {
            if (d.node().path("kind").asText().equals("ConfigMap")) {
                configMaps.add(d.node().at("/metadata/name").asText());
            }
        }
        // The operator publishes the cluster file as <cluster name>-config, key cluster-file.
        Doc fdb = only("FoundationDBCluster", null);
        String operatorConfigMap = fdb.node().at("/metadata/name").asText() + "-config";
        for (WorkerContainer w : workerContainers()) {
            for (Container c : concat(w.pod().getInitContainers(), w.pod().getContainers())) {
                for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                    if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                        assertThat(generated).contains(e.getValueFrom().getSecretKeyRef().getName());
                        assertThat(secrets).containsKey(e.getValueFrom().getSecretKeyRef().getKey());
                    }
                }
            }
            for (Volume v : w.pod().getVolumes()) {
                if (v.getSecret() != null) {
                    assertThat(generated).contains(v.getSecret().getSecretName());
                }
                if (v.getConfigMap() != null) {
                    String name = v.getConfigMap().getName();
                    if (name.equals(operatorConfigMap)) {
                        assertThat(v.getConfigMap().getItems()).singleElement()
                                .satisfies(i -> assertThat(i.getKey()).isEqualTo("cluster-file"));
                    } else {
                        assertThat(configMaps).as("%s: ConfigMap %s", w.owner(), name).contains(name);
                    }
                }
            }
        }
    }

    @Test
    void theWorkersLoadTheClientLibraryOfTheClustersFoundationDbVersion() throws IOException {
        String version = only("FoundationDBCluster", null).node().at("/spec/version").asText();
        String minor = version.substring(0, version.lastIndexOf('.'));
        // fdb-java, which the Record Layer drives, selects API version 710: FoundationDB 7.1 clients.
        assertThat(minor).isEqualTo("7.1");
        for (WorkerContainer w : workerContainers()) {
            Container init = w.pod().getInitContainers().get(0);
            assertThat(init.getImage()).isEqualTo("foundationdb/fdb-kubernetes-monitor:" + version);
            assertThat(argAfter(init.getArgs(), "--copy-primary-library")).isEqualTo(minor);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A worker container, its pod, and the volumes its StatefulSet's claim templates add to the pod. */
    record WorkerContainer(Doc owner, PodSpec pod, Container container, Set<String> claims) {
    }

    record LoadedWorker(WcacheConfig config, Path configFile, Path fuseMount) {
    }

    /** Every container running the worker image, with its pod. */
    static List<WorkerContainer> workerContainers() throws IOException {
        List<WorkerContainer> out = new ArrayList<>();
        for (Doc d : allDocs()) {
            PodTemplateSpec template = null;
            Set<String> claims = Set.of();
            String kind = d.node().path("kind").asText();
            if (kind.equals("StatefulSet")) {
                StatefulSet sts = (StatefulSet) StrictKubernetesModel.parse(d.node());
                template = sts.getSpec().getTemplate();
                claims = sts.getSpec().getVolumeClaimTemplates().stream().map(t -> t.getMetadata().getName())
                        .collect(Collectors.toSet());
            } else if (kind.equals("DaemonSet")) {
                template = ((DaemonSet) StrictKubernetesModel.parse(d.node())).getSpec().getTemplate();
            }
            if (template == null) {
                continue;
            }
            for (Container c : template.getSpec().getContainers()) {
                if (c.getImage().startsWith(WORKER_IMAGE + ":")) {
                    out.add(new WorkerContainer(d, template.getSpec(), c, claims));
                }
            }
        }
        return out;
    }

    /** Parses the container's arguments as {@code wcache} does and loads the config they name. */
    static LoadedWorker load(WorkerContainer w, String configText) throws IOException {
        List<String> args = withArgumentFiles(w, expand(w.container().getArgs(), w.container(), exampleSecrets()));
        ParseResult serve = parseArgs(args).subcommand();
        assertThat(serve).as("%s runs wcache serve", w.owner()).isNotNull();
        assertThat(serve.commandSpec().name()).isEqualTo("serve");
        Path configFile = serve.matchedOptionValue("--config", null);
        assertThat(configFile).as("%s names a config file", w.owner()).isNotNull();
        List<String> sets = serve.matchedOptionValue("--set", List.of());
        WcacheConfig cfg = WcacheConfig.fromYaml(configText, w.owner() + " " + configFile, sets);
        return new LoadedWorker(cfg, configFile, serve.matchedOptionValue("--fuse-mount", null));
    }

    /**
     * Each {@code @FILE} argument (picocli reads more arguments from FILE) pointed at a temporary
     * copy of the example of the Secret key mounted at FILE, so picocli expands it as in the pod.
     */
    static List<String> withArgumentFiles(WorkerContainer w, List<String> args) throws IOException {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            if (!a.startsWith("@")) {
                out.add(a);
                continue;
            }
            String example = Files.readString(secretFileExample(w, Path.of(a.substring(1))), StandardCharsets.UTF_8);
            Path copy = Files.createTempFile("wcache-args", ".args");
            copy.toFile().deleteOnExit();
            Files.writeString(copy, example, StandardCharsets.UTF_8);
            out.add("@" + copy);
        }
        return out;
    }

    /** The example file of the generated Secret's key that the container sees at {@code file}. */
    static Path secretFileExample(WorkerContainer w, Path file) throws IOException {
        VolumeMount mount = w.container().getVolumeMounts().stream()
                .filter(vm -> file.startsWith(Path.of(vm.getMountPath()))).findFirst().orElseThrow(
                        () -> new AssertionError(w.owner() + ": no volume is mounted at " + file));
        Volume v = volume(w.pod(), mount.getName());
        assertThat(v.getSecret()).as("%s: %s comes from a Secret", w.owner(), file).isNotNull();
        String path = Path.of(mount.getMountPath()).relativize(file).toString();
        String key = v.getSecret().getItems().stream().filter(i -> i.getPath().equals(path))
                .map(io.fabric8.kubernetes.api.model.KeyToPath::getKey).findFirst()
                .orElseThrow(() -> new AssertionError(w.owner() + ": the Secret volume has no item at " + path));
        SecretGenerator g = kustomization().secretGenerator().stream()
                .filter(s -> s.name().equals(v.getSecret().getSecretName())).findFirst()
                .orElseThrow(() -> new AssertionError("no generated Secret " + v.getSecret().getSecretName()));
        assertThat(g.files()).as("the Secret %s has a file %s", g.name(), key).contains(key);
        return DIR.resolve(key + ".example");
    }

    static ParseResult parseArgs(List<String> args) {
        return new CommandLine(new WorkerMain()).parseArgs(args.toArray(String[]::new));
    }

    /** The text of the config file the worker's --config names, from the ConfigMap mounted there. */
    static String configMapText(WorkerContainer w) throws IOException {
        Path file = Path.of(argAfter(w.container().getArgs(), "--config"));
        VolumeMount mount = w.container().getVolumeMounts().stream()
                .filter(vm -> file.startsWith(Path.of(vm.getMountPath()))).findFirst().orElseThrow(
                        () -> new AssertionError(w.owner() + ": no volume is mounted at " + file));
        Volume v = volume(w.pod(), mount.getName());
        assertThat(v.getConfigMap()).as("%s: %s comes from a ConfigMap", w.owner(), file).isNotNull();
        ConfigMap cm = (ConfigMap) StrictKubernetesModel.parse(only("ConfigMap", v.getConfigMap().getName()).node());
        String key = Path.of(mount.getMountPath()).relativize(file).toString();
        assertThat(cm.getData()).as("%s: ConfigMap %s has %s", w.owner(), cm.getMetadata().getName(), key)
                .containsKey(key);
        return cm.getData().get(key);
    }

    /** Kubernetes' $(VAR) expansion of command arguments from the container's env ($$ escapes). */
    static List<String> expand(List<String> args, Container c, Map<String, String> secrets) {
        return expand(args, c, secrets, SAMPLE_POD_FIELDS);
    }

    /** Pod fields as the downward API gives them, for a sample pod of each kind. */
    static final Map<String, String> SAMPLE_POD_FIELDS = Map.of("metadata.name", "wcache-2", "spec.nodeName",
            "node-7.example.internal", "status.podIP", "10.0.0.7");

    static List<String> expand(List<String> args, Container c, Map<String, String> secrets, Map<String, String> fields) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            } else if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                env.put(e.getName(), secrets.get(e.getValueFrom().getSecretKeyRef().getKey()));
            } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
                String path = e.getValueFrom().getFieldRef().getFieldPath();
                assertThat(fields).as("a sample value of the pod field %s", path).containsKey(path);
                env.put(e.getName(), fields.get(path));
            }
        }
        Pattern ref = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
        List<String> out = new ArrayList<>();
        for (String a : args) {
            Matcher m = ref.matcher(a);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String replacement = m.group(1) == null ? "\\$" : env.get(m.group(1));
                if (replacement == null) {
                    throw new AssertionError("argument '" + a + "' refers to $(" + m.group(1) + "), which the container does not define");
                }
                m.appendReplacement(sb, m.group(1) == null ? replacement : Matcher.quoteReplacement(replacement));
            }
            m.appendTail(sb);
            out.add(sb.toString());
        }
        return out;
    }

    static Map<String, String> exampleSecrets() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DIR.resolve("secrets.env.example"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            out.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return out;
    }

    /** The routes of the admin API that need no token ({@code AdminGuard.OPEN_ROUTES}). */
    static Set<String> openAdminRoutes() throws Exception {
        java.lang.reflect.Field f = Class.forName("io.wcache.worker.admin.AdminGuard").getDeclaredField("OPEN_ROUTES");
        f.setAccessible(true);
        Set<String> routes = new java.util.HashSet<>();
        for (Object o : (Set<?>) f.get(null)) {
            routes.add((String) o);
        }
        return routes;
    }

    /** The name of the volume whose mount holds {@code path} in container {@code c} (the deepest one). */
    static String volumeAt(WorkerContainer w, Container c, String path) {
        VolumeMount best = null;
        for (VolumeMount vm : c.getVolumeMounts()) {
            if (Path.of(path).startsWith(Path.of(vm.getMountPath()))
                    && (best == null || vm.getMountPath().length() > best.getMountPath().length())) {
                best = vm;
            }
        }
        assertThat(best).as("%s: a volume is mounted at %s", c.getName(), path).isNotNull();
        if (!w.claims().contains(best.getName())) {
            volume(w.pod(), best.getName());
        }
        return best.getName();
    }

    static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseGet(() -> {
                    throw new AssertionError("no volume " + name + " in the pod");
                });
    }

    static int containerPort(Container c, String name) {
        return c.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError(c.getName() + " has no port named " + name));
    }

    static String env(Container c, String name) {
        for (EnvVar e : c.getEnv()) {
            if (e.getName().equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    static String argAfter(List<String> args, String flag) {
        int i = args.indexOf(flag);
        assertThat(i).as("argument %s in %s", flag, args).isNotNegative().isLessThan(args.size() - 1);
        return args.get(i + 1);
    }

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a == null ? List.of() : a);
        out.addAll(b == null ? List.of() : b);
        return out;
    }

    static boolean isFoundationDbCluster(JsonNode doc) {
        return doc.path("kind").asText().equals("FoundationDBCluster");
    }

    static Kustomization kustomization() throws IOException {
        return strictYaml().readValue(DIR.resolve("kustomization.yaml").toFile(), Kustomization.class);
    }

    static ObjectMapper strictYaml() {
        return new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    private static JsonNode crd;

    /** The stored CRD, read once: it is 250 KB of YAML. */
    static synchronized JsonNode crd() throws IOException {
        if (crd == null) {
            crd = readCrd();
        }
        return crd;
    }

    private static JsonNode readCrd() throws IOException {
        try (var in = KubernetesManifestsTest.class.getResourceAsStream("foundationdbclusters.crd.yaml")) {
            assertThat(in).as("the stored CRD").isNotNull();
            List<JsonNode> docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(in).readAll();
            return docs.stream().filter(d -> d != null && !d.isNull()).findFirst().orElseThrow();
        }
    }

    /** The one document of {@code kind} (and {@code name}, when given) in the directory. */
    static Doc only(String kind, String name) throws IOException {
        List<Doc> found = allDocs().stream().filter(d -> d.node().path("kind").asText().equals(kind))
                .filter(d -> name == null || d.node().at("/metadata/name").asText().equals(name)).toList();
        assertThat(found).as("%s %s", kind, name).hasSize(1);
        return found.get(0);
    }

    static List<Doc> allDocs() throws IOException {
        List<Doc> out = new ArrayList<>();
        for (String f : kustomization().resources()) {
            out.addAll(docs(f));
        }
        out.addAll(docs(LOCAL_VOLUMES));
        return out;
    }

    static List<Doc> docs(String file) throws IOException {
        List<Doc> out = new ArrayList<>();
        List<JsonNode> nodes = YAML.readerFor(JsonNode.class).<JsonNode>readValues(DIR.resolve(file).toFile()).readAll();
        for (JsonNode n : nodes) {
            if (n != null && !n.isNull() && !n.isMissingNode()) {
                out.add(new Doc(file, out.size(), n));
            }
        }
        return out;
    }
}
