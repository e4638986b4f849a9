/**
 * Published on-demand prices, us-east-1, as listed on the AWS pricing pages when this was written (update here;
 * every figure of the fleet benchmark's cost model comes from this table). Free tiers are ignored. DynamoDB's are the
 * on-demand prices after the November 2024 reduction (they halved: 1.25 and 0.25 USD per million before).
 */
export const PRICES = {
  /** DynamoDB on-demand: per write request unit / read request unit (aws.amazon.com/dynamodb/pricing/on-demand). */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** Lambda, Arm: per request and per GB-second (aws.amazon.com/lambda/pricing). */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  /** EventBridge custom events put on a bus (PutEvents); AWS service events on the default bus are free. */
  eventBridgeEvent: 1.0 / 1e6,
  /** SQS standard queue, per request (64 KiB chunk). */
  sqsRequest: 0.4 / 1e6,
  /**
   * CloudTrail trails: data events delivered to S3, per event (management events: the first copy is free). Warden
   * reads a trail's files; CloudTrail Lake collects events without one.
   */
  trailDataEvent: 0.1 / 100_000,
  /** S3 Standard: PUT and GET requests. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /**
   * CloudTrail Lake ingestion per GB of uncompressed event data (aws.amazon.com/cloudtrail/pricing): one-year
   * extendable retention (the default and cheaper option, retention of the first year included) and seven-year
   * retention pricing.
   */
  cloudTrailLakePerGb: 0.75,
  cloudTrailLakeSevenYearPerGb: 2.5,
} as const;

/** Hours in the month AWS prices by. */
export const HOURS_PER_MONTH = 730;
