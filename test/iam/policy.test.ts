import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Caller, PolicyStatement } from '../../src/iam/caller.js';
import { actionMatches, evaluate, projectScope } from '../../src/iam/policy.js';

const SUBMIT = 'ssl:SubmitCertificateInformation';
const DESCRIBE = 'ssl:DescribeCertificates';

function root(): Caller {
  return {
    uin: '100000000001',
    appId: 1250000001,
    subUin: null,
    secretId: 'AKIDroot',
    realNameVerified: true,
    // Ignored for the root account, even a deny of everything.
    policies: [{ effect: 'deny', actions: ['*'], projects: null }],
  };
}

function sub(...policies: PolicyStatement[]): Caller {
  return { ...root(), subUin: '100000000002', secretId: 'AKIDsub', policies };
}

const allow = (actions: string[], projects: number[] | null = null): PolicyStatement => ({
  effect: 'allow',
  actions,
  projects,
});
const deny = (actions: string[], projects: number[] | null = null): PolicyStatement => ({
  effect: 'deny',
  actions,
  projects,
});

describe('evaluate', () => {
  test('the root account is allowed every action on every project, whatever its policies say, with allow', () => {
    assert.equal(evaluate(root(), SUBMIT), 'allow');
    assert.equal(evaluate(root(), SUBMIT, 0), 'allow');
    assert.equal(evaluate(root(), 'cvm:RunInstances', 42), 'allow');
  });

  test('a sub-user with no policies is refused with deny-action, with or without a project', () => {
    assert.equal(evaluate(sub(), SUBMIT), 'deny-action');
    assert.equal(evaluate(sub(), SUBMIT, 0), 'deny-action');
  });

  test('a sub-user allowed the action on every project is allowed on any project with allow', () => {
    const c = sub(allow([SUBMIT]));
    assert.equal(evaluate(c, SUBMIT), 'allow');
    for (const p of [0, 1, 5, 9999999]) assert.equal(evaluate(c, SUBMIT, p), 'allow');
  });

  test('a sub-user allowed one action is refused another action with deny-action', () => {
    assert.equal(evaluate(sub(allow([SUBMIT])), DESCRIBE), 'deny-action');
    assert.equal(evaluate(sub(allow([SUBMIT])), DESCRIBE, 0), 'deny-action');
  });

  test('a sub-user allowed on project 5 is allowed project 5 with allow', () => {
    assert.equal(evaluate(sub(allow([SUBMIT], [5])), SUBMIT, 5), 'allow');
  });

  test('a sub-user allowed on project 5 is denied project 6 with deny-project', () => {
    assert.equal(evaluate(sub(allow([SUBMIT], [5])), SUBMIT, 6), 'deny-project');
    assert.equal(evaluate(sub(allow([SUBMIT], [5])), SUBMIT, 0), 'deny-project');
  });

  test('a sub-user allowed on some projects passes the action-level check without a project with allow', () => {
    assert.equal(evaluate(sub(allow([SUBMIT], [5, 7])), SUBMIT), 'allow');
  });

  test('a sub-user allowed on an empty project list passes the action check but no project with deny-project', () => {
    const c = sub(allow([SUBMIT], []));
    assert.equal(evaluate(c, SUBMIT), 'allow');
    assert.equal(evaluate(c, SUBMIT, 0), 'deny-project');
  });

  test('allows on several statements add up, so projects 5 and 7 are allowed and 6 is denied with deny-project', () => {
    const c = sub(allow([SUBMIT], [5]), allow(['ssl:*'], [7]));
    assert.equal(evaluate(c, SUBMIT, 5), 'allow');
    assert.equal(evaluate(c, SUBMIT, 7), 'allow');
    assert.equal(evaluate(c, SUBMIT, 6), 'deny-project');
  });

  test('an explicit deny on every project wins over an allow on every project with deny-action', () => {
    const c = sub(allow(['ssl:*']), deny([SUBMIT]));
    assert.equal(evaluate(c, SUBMIT), 'deny-action');
    assert.equal(evaluate(c, SUBMIT, 0), 'deny-action');
    assert.equal(evaluate(c, DESCRIBE, 0), 'allow');
  });

  test('an explicit deny on every project wins whichever order the statements come in, with deny-action', () => {
    assert.equal(evaluate(sub(deny(['*']), allow([SUBMIT])), SUBMIT, 3), 'deny-action');
    assert.equal(evaluate(sub(allow([SUBMIT]), deny(['*'])), SUBMIT, 3), 'deny-action');
  });

  test('a deny on project 5 refuses project 5 with deny-project and leaves project 6 allowed', () => {
    const c = sub(allow(['ssl:*']), deny([SUBMIT], [5]));
    assert.equal(evaluate(c, SUBMIT, 5), 'deny-project');
    assert.equal(evaluate(c, SUBMIT, 6), 'allow');
    assert.equal(evaluate(c, SUBMIT), 'allow');
  });

  test('a deny on project 5 without any allow is refused with deny-action', () => {
    assert.equal(evaluate(sub(deny([SUBMIT], [5])), SUBMIT, 6), 'deny-action');
    assert.equal(evaluate(sub(deny([SUBMIT], [5])), SUBMIT), 'deny-action');
  });

  test('a deny of another action does not touch this one, with allow', () => {
    assert.equal(evaluate(sub(allow([SUBMIT]), deny([DESCRIBE])), SUBMIT, 1), 'allow');
  });

  test('the wildcards ssl:*, * and ssl:Describe* grant what they name with allow', () => {
    assert.equal(evaluate(sub(allow(['ssl:*'])), SUBMIT, 1), 'allow');
    assert.equal(evaluate(sub(allow(['*'])), SUBMIT, 1), 'allow');
    assert.equal(evaluate(sub(allow(['ssl:Describe*'])), DESCRIBE, 1), 'allow');
    assert.equal(evaluate(sub(allow(['ssl:Describe*'])), 'ssl:DescribeCertificateDetail'), 'allow');
  });

  test('ssl:Describe* does not grant SubmitCertificateInformation, with deny-action', () => {
    assert.equal(evaluate(sub(allow(['ssl:Describe*'])), SUBMIT), 'deny-action');
  });

  test('a deny by wildcard ssl:Describe* refuses every Describe action with deny-action', () => {
    const c = sub(allow(['*']), deny(['ssl:Describe*']));
    assert.equal(evaluate(c, DESCRIBE, 0), 'deny-action');
    assert.equal(evaluate(c, SUBMIT, 0), 'allow');
  });

  test('the service prefix is matched case-insensitively, so SSL:* grants ssl actions with allow', () => {
    assert.equal(evaluate(sub(allow(['SSL:*'])), SUBMIT, 0), 'allow');
    assert.equal(evaluate(sub(allow(['Ssl:SubmitCertificateInformation'])), SUBMIT), 'allow');
  });

  test('the action name is matched case-sensitively, so ssl:submitcertificateinformation grants nothing with deny-action', () => {
    assert.equal(evaluate(sub(allow(['ssl:submitcertificateinformation'])), SUBMIT), 'deny-action');
  });

  test('a statement for another service (cvm:*) grants nothing with deny-action', () => {
    assert.equal(evaluate(sub(allow(['cvm:*'])), SUBMIT), 'deny-action');
    assert.equal(evaluate(sub(allow(['cvm:*'])), SUBMIT, 0), 'deny-action');
  });

  test('a statement for another service (cvm:*) denies nothing either, with allow', () => {
    assert.equal(evaluate(sub(allow([SUBMIT]), deny(['cvm:*'])), SUBMIT, 0), 'allow');
  });
});

describe('actionMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', SUBMIT, true],
    ['*', 'cvm:RunInstances', true],
    ['ssl:*', SUBMIT, true],
    ['ssl:*', 'cvm:RunInstances', false],
    ['SSL:*', SUBMIT, true],
    ['ssl:*', 'SSL:DescribeCertificates', true],
    ['ssl:Describe*', DESCRIBE, true],
    ['ssl:Describe*', 'ssl:Describe', true],
    ['ssl:Describe*', SUBMIT, false],
    ['ssl:describe*', DESCRIBE, false],
    [SUBMIT, SUBMIT, true],
    [SUBMIT, 'ssl:SubmitCertificateInformationX', false],
    ['ssl:Submit', SUBMIT, false],
    ['cvm:*', SUBMIT, false],
    ['SubmitCertificateInformation', SUBMIT, false],
  ];
  for (const [pattern, action, expected] of cases) {
    test(`pattern ${pattern} against ${action} gives ${expected}`, () => {
      assert.equal(actionMatches(pattern, action), expected);
    });
  }
});

describe('projectScope', () => {
  test('the root account sees every project with only null and no exceptions', () => {
    assert.deepEqual(projectScope(root(), DESCRIBE), { only: null, except: [] });
  });

  test('a sub-user without a matching allow sees nothing with only []', () => {
    assert.deepEqual(projectScope(sub(), DESCRIBE), { only: [], except: [] });
    assert.deepEqual(projectScope(sub(allow([SUBMIT])), DESCRIBE), { only: [], except: [] });
  });

  test('a deny of the action on every project hides everything with only []', () => {
    assert.deepEqual(projectScope(sub(allow(['*']), deny([DESCRIBE])), DESCRIBE), { only: [], except: [] });
  });

  test('an allow on every project shows every project with only null', () => {
    assert.deepEqual(projectScope(sub(allow(['ssl:Describe*'])), DESCRIBE), { only: null, except: [] });
  });

  test('an allow on every project minus denies on 7 and 3 gives except [3, 7], sorted and without duplicates', () => {
    const c = sub(allow(['ssl:*']), deny([DESCRIBE], [7, 3]), deny(['ssl:Describe*'], [3]));
    assert.deepEqual(projectScope(c, DESCRIBE), { only: null, except: [3, 7] });
  });

  test('allows on some projects give only those projects, sorted and without duplicates', () => {
    const c = sub(allow([DESCRIBE], [9, 2]), allow(['ssl:*'], [2, 4]));
    assert.deepEqual(projectScope(c, DESCRIBE), { only: [2, 4, 9], except: [] });
  });

  test('allows on some projects minus a deny on one of them leave the rest in only', () => {
    const c = sub(allow([DESCRIBE], [1, 2, 3]), deny([DESCRIBE], [2, 8]));
    assert.deepEqual(projectScope(c, DESCRIBE), { only: [1, 3], except: [] });
  });

  test('statements for other actions or services do not widen the scope, with only []', () => {
    const c = sub(allow([SUBMIT]), allow(['cvm:*']));
    assert.deepEqual(projectScope(c, DESCRIBE), { only: [], except: [] });
  });

  test('projectScope agrees with evaluate on every project of a mixed policy', () => {
    const c = sub(allow([DESCRIBE], [1, 2, 3]), allow(['ssl:*'], [5]), deny(['ssl:Describe*'], [2]));
    const scope = projectScope(c, DESCRIBE);
    for (let p = 0; p < 8; p++) {
      const visible = scope.only === null ? !scope.except.includes(p) : scope.only.includes(p);
      assert.equal(visible, evaluate(c, DESCRIBE, p) === 'allow', `project ${p}`);
    }
  });
});
