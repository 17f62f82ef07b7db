import { Args } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { checkCloudYamlFile, formatProblem, summaries, type CloudYamlReport } from '../../src/config/index.js';

export default class Validate extends MalleeCommand {
  static override summary = 'Check a cloud.yaml and report every problem in it.';

  static override description =
    'Reads the cloud description and reports every problem at once, each as FILE:LINE:COLUMN with a hint, ' +
    'the way `faststart install --config` would refuse it. Exits 3 when there is any problem.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> cloud.yaml',
    '<%= config.bin %> <%= command.id %> templates/cloud.example.yaml --json',
  ];

  static override args = {
    file: Args.string({ description: 'path to the cloud.yaml to check', required: true }),
  };

  async run(): Promise<CloudYamlReport> {
    const { args } = await this.parse(Validate);
    const report = checkCloudYamlFile(args.file);
    if (report.summary) {
      this.log(summaries.valid(report.file, report.summary));
    } else {
      for (const problem of report.problems) this.logToStderr(formatProblem(problem));
      this.logToStderr(summaries.invalid(report.file, report.problems.length));
      this.finishWith('invalidConfig');
    }
    return report;
  }
}
