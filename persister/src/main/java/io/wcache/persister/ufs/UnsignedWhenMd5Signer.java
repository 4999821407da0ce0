package io.wcache.persister.ufs;

import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 as the SDK signs, except that a request carrying {@code Content-MD5} over plain HTTP is
 * signed with {@code UNSIGNED-PAYLOAD} instead of its body's SHA-256. The SDK signs the payload of
 * every HTTP request (it reads and hashes the whole body before sending it, a second read of it);
 * with a Content-MD5 the store checks the bytes it receives anyway and refuses them if they differ,
 * and the header itself is signed. Over HTTPS the SDK already sends uploads unsigned; requests without
 * Content-MD5 are signed unchanged.
 */
final class UnsignedWhenMd5Signer implements AwsV4HttpSigner {

    private final AwsV4HttpSigner delegate;

    private UnsignedWhenMd5Signer(AwsV4HttpSigner delegate) {
        this.delegate = delegate;
    }

    /** The SDK's SigV4 scheme with this signer. */
    static AwsV4AuthScheme authScheme() {
        AwsV4AuthScheme base = AwsV4AuthScheme.create();
        AwsV4HttpSigner signer = new UnsignedWhenMd5Signer(base.signer());
        return new AwsV4AuthScheme() {
            @Override
            public String schemeId() {
                return base.schemeId();
            }

            @Override
            public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
                return base.identityProvider(providers);
            }

            @Override
            public AwsV4HttpSigner signer() {
                return signer;
            }
        };
    }

    @Override
    public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
        if (!unsignedPayload(request.request().protocol(), request.request().firstMatchingHeader("Content-MD5").isPresent(),
                request.payload().isPresent())) {
            return delegate.sign(request);
        }
        ContentStreamProvider payload = request.payload().orElseThrow();
        // The SDK's signer signs any HTTP request that has a body; signed without it and with payload
        // signing off, it is signed UNSIGNED-PAYLOAD, and the body is put back unread.
        SignedRequest signed = delegate.sign(request.copy(b -> b.payload(null)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)));
        return signed.copy(b -> b.payload(payload));
    }

    @Override
    public CompletableFuture<AsyncSignedRequest> signAsync(AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
        return delegate.signAsync(request);
    }

    /** Whether a request is signed UNSIGNED-PAYLOAD here: a body over plain HTTP that Content-MD5 guards. */
    static boolean unsignedPayload(String protocol, boolean hasContentMd5, boolean hasBody) {
        return hasContentMd5 && hasBody && "http".equalsIgnoreCase(protocol);
    }
}
