// Validates the operators' custom resources of a rendered overlay against the operators' own CRD
// schemas (compiled into the @kubernetes-models packages; offline once `npm ci` has run).
//   kubectl kustomize deploy/k8s/overlays/prod | yq -o=json ... | node validate-crds.mjs
// Input on stdin: a JSON array of Kubernetes objects. Objects of other API groups are left to the
// core validator (kubernetes-validate). Exit 0 when every custom resource is valid, 1 otherwise.
import { readFileSync } from "node:fs";

const PACKAGES = {
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
  "kafka.strimzi.io": "@kubernetes-models/strimzi-kafka-operator",
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

const objects = JSON.parse(readFileSync(0, "utf8"));
let failures = 0;
let checked = 0;
for (const object of objects) {
  const [group, version] = String(object.apiVersion).split("/");
  const pkg = PACKAGES[group];
  if (!pkg || !version) continue;
  const where = `${object.kind}/${object.metadata?.name}`;
  let model;
  try {
    model = await import(`${pkg}/${group}/${version}/${object.kind}`);
  } catch {
    console.log(`${where}: no schema for ${object.apiVersion} ${object.kind} in ${pkg}`);
    failures++;
    continue;
  }
  try {
    new model[object.kind](object).validate();
    checked++;
  } catch (error) {
    const details = (error.errors ?? [error]).map((e) => `${e.instancePath ?? ""} ${e.message}`).join("; ");
    console.log(`${where}: ${details}`);
    failures++;
  }
}
console.log(JSON.stringify({ checked, failures }));
process.exit(failures ? 1 : 0);
