const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Whether an IAM caller ARN (API Gateway `requestContext.identity.userArn`) is on the admin list.
 * An entry matches the same ARN exactly; a role ARN (`arn:aws:iam::{account}:role/{path/}{name}`) also
 * matches every session of that role (`arn:aws:sts::{account}:assumed-role/{name}/{session}`), which
 * is how a role's callers appear to API Gateway.
 *
 * @example
 * isAdminPrincipal('arn:aws:sts::111122223333:assumed-role/ops/alice', ['arn:aws:iam::111122223333:role/ops']); // true
 */
export const isAdminPrincipal = (callerArn: string, admins: readonly string[]): boolean => {
  if (admins.includes(callerArn)) return true;
  const session = ASSUMED_ROLE_ARN.exec(callerArn);
  if (!session) return false;
  return admins.some((admin) => {
    const role = ROLE_ARN.exec(admin);
    return role !== null && role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
  });
};
