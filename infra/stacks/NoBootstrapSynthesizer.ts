import {
  StackSynthesizer,
  type DockerImageAssetLocation,
  type FileAssetLocation,
  type ISynthesisSession,
} from 'aws-cdk-lib';

/**
 * Synthesizes a stack that deploys into an account without CDK bootstrap: the template is sent inline
 * with the caller's own credentials (no deploy role to assume, no template upload to an asset bucket,
 * no bootstrap-version requirement), and assets are refused. CDK's BootstraplessSynthesizer still
 * names the bootstrap deploy role `cdk-hnb659fds-deploy-role-*`, which such an account lacks.
 *
 * @example
 * new Stack(app, 'CustomerRole', { synthesizer: new NoBootstrapSynthesizer() });
 */
export class NoBootstrapSynthesizer extends StackSynthesizer {
  public addFileAsset(): FileAssetLocation {
    throw new Error('A stack synthesized with NoBootstrapSynthesizer cannot have file assets');
  }

  public addDockerImageAsset(): DockerImageAssetLocation {
    throw new Error('A stack synthesized with NoBootstrapSynthesizer cannot have Docker image assets');
  }

  public synthesize(session: ISynthesisSession): void {
    this.synthesizeTemplate(session);
    this.emitArtifact(session);
  }
}
