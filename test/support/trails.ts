/** Trail selectors as `warden coverage --save` keeps them: every management event and all S3 object events logged. */
import type { TrailConfig } from '../../lib/core/coverage/action-coverage.ts';

export function managementAndS3Trail(region: string, readAt: string): TrailConfig {
  return {
    region,
    readAt,
    trails: [
      {
        name: 'org-trail',
        multiRegion: true,
        logging: true,
        eventSelectors: [
          {
            readWriteType: 'All',
            includeManagementEvents: true,
            dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }],
          },
        ],
        advancedEventSelectors: [],
      },
    ],
  };
}
