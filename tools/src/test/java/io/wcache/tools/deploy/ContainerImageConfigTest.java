package io.wcache.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.wcache.worker.WorkerMain;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The Jib configuration that builds the worker image (worker/pom.xml, profile {@code image}) agrees
 * with the code and with deploy/kubernetes: its main class is the {@code wcache} command, it is
 * built to a tarball in {@code package}, its ports are the containers' ports, its user is the
 * StatefulSet's, its name and tag are the manifests' image, and its default base is the tarball
 * deploy/image/build-base-image.sh writes. Building the image itself needs that base (about three
 * minutes and Debian's mirror), so CI checks the configuration and docs/CLUSTER.md says how the
 * image was built and run.
 */
class ContainerImageConfigTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static Element jib;
    private static Element profile;
    private static String projectVersion;

    @BeforeAll
    static void readWorkerPom() throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document pom = f.newDocumentBuilder().parse(ROOT.resolve("worker/pom.xml").toFile());
        Element project = pom.getDocumentElement();
        projectVersion = text(child(child(project, "parent"), "version"));
        for (Element p : children(child(project, "profiles"), "profile")) {
            if (text(child(p, "id")).equals("image")) {
                profile = p;
            }
        }
        assertThat(profile).as("worker/pom.xml has a profile 'image'").isNotNull();
        for (Element plugin : children(child(child(profile, "build"), "plugins"), "plugin")) {
            if (text(child(plugin, "artifactId")).equals("jib-maven-plugin")) {
                jib = plugin;
            }
        }
        assertThat(jib).as("the image profile runs jib-maven-plugin").isNotNull();
    }

    @Test
    void theImageIsATarballBuiltInPackageWithAPinnedJibVersion() throws Exception {
        Element execution = child(child(jib, "executions"), "execution");
        assertThat(text(child(execution, "phase"))).isEqualTo("package");
        assertThat(children(child(execution, "goals"), "goal")).extracting(ContainerImageConfigTest::text)
                .containsExactly("buildTar");
        assertThat(text(child(jib, "version"))).isEqualTo("${jib.version}");
        String parent = Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8);
        assertThat(parent).containsPattern("<jib.version>\\d+\\.\\d+\\.\\d+</jib.version>");
    }

    @Test
    void theEntrypointIsTheWcacheCommand() throws Exception {
        Element container = child(child(jib, "configuration"), "container");
        String mainClass = text(child(container, "mainClass"));
        assertThat(mainClass).isEqualTo(WorkerMain.class.getName());
        Method main = Class.forName(mainClass).getMethod("main", String[].class);
        assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
        assertThat(children(child(container, "args"), "arg")).extracting(ContainerImageConfigTest::text)
                .containsExactly("serve");
        // Every worker container of the manifests runs `wcache serve`, so the image's entrypoint must be wcache.
        for (KubernetesManifestsTest.WorkerContainer w : KubernetesManifestsTest.workerContainers()) {
            assertThat(w.container().getCommand()).as("%s keeps the image's entrypoint", w.owner()).isNullOrEmpty();
            assertThat(w.container().getArgs().get(0)).isEqualTo("serve");
        }
    }

    @Test
    void portsUserNameAndWorkingDirectoryMatchTheManifests() throws Exception {
        Element container = child(child(jib, "configuration"), "container");
        List<Integer> ports = children(child(container, "ports"), "port").stream()
                .map(e -> Integer.parseInt(text(e))).toList();
        StatefulSet sts = (StatefulSet) StrictKubernetesModel.parse(
                KubernetesManifestsTest.only("StatefulSet", "wcache").node());
        Container worker = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(ports).containsExactlyInAnyOrder(KubernetesManifestsTest.containerPort(worker, "s3"),
                KubernetesManifestsTest.containerPort(worker, "admin"), KubernetesManifestsTest.containerPort(worker, "internal"));

        PodSecurityContext security = sts.getSpec().getTemplate().getSpec().getSecurityContext();
        assertThat(text(child(container, "user"))).isEqualTo(security.getRunAsUser() + ":" + security.getRunAsGroup());
        String script = Files.readString(ROOT.resolve("deploy/image/build-base-image.sh"), StandardCharsets.UTF_8);
        assertThat(script).contains("UID_GID=" + security.getRunAsUser());

        String workingDirectory = text(child(container, "workingDirectory"));
        assertThat(worker.getVolumeMounts()).anyMatch(vm -> vm.getMountPath().equals(workingDirectory)
                && vm.getName().equals("cache"));
        assertThat(script).contains("$1" + workingDirectory);

        String image = property("wcache.image.name").replace("${project.version}", projectVersion);
        assertThat(text(child(child(child(jib, "configuration"), "to"), "image"))).isEqualTo("${wcache.image.name}");
        KubernetesManifestsTest.Image kustomized = KubernetesManifestsTest.kustomization().images().get(0);
        assertThat(image).isEqualTo(kustomized.name() + ":" + kustomized.newTag());
        for (KubernetesManifestsTest.WorkerContainer w : KubernetesManifestsTest.workerContainers()) {
            assertThat(w.container().getImage()).isEqualTo(image);
        }
    }

    @Test
    void theDefaultBaseIsTheTarballTheBaseScriptWrites() throws Exception {
        assertThat(text(child(child(child(jib, "configuration"), "from"), "image"))).isEqualTo("${wcache.image.base}");
        String base = property("wcache.image.base");
        assertThat(base).isEqualTo("tar://${project.basedir}/../deploy/image/target/wcache-base-image.tar");
        String script = Files.readString(ROOT.resolve("deploy/image/build-base-image.sh"), StandardCharsets.UTF_8);
        assertThat(script).contains("OUT=\"${1:-$HERE/target/wcache-base-image.tar}\"");
        assertThat(Files.isExecutable(ROOT.resolve("deploy/image/build-base-image.sh"))).isTrue();
    }

    private static String property(String name) {
        return text(child(child(profile, "properties"), name));
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        assertThat(found).as("<%s> in <%s>", name, parent.getTagName()).hasSize(1);
        return found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    private static String text(Element e) {
        return e.getTextContent().trim();
    }
}
