// docker's sig-proxy: the signals a user sends the CLI during a foreground `run` or `exec`
// go to the container, through the target the engine gives once the monitor has started
// (lib/container/monitor.ts SignalTarget). Process-wide handlers are the CLI's to install:
// the engine never touches its caller's signals.
import type { SignalTarget } from '../lib/index';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export class SignalProxy {
  private target?: SignalTarget;
  private readonly handler = (sig: NodeJS.Signals): void => {
    this.target?.kill(sig);
  };

  /**
   * From now on the signals go to target (the engine's onSignals hook). Not before: until
   * the monitor exists, a signal ends the CLI, and the monitor gives up at its pipe.
   */
  attach(target: SignalTarget): void {
    if (this.target) return;
    this.target = target;
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  /** The handlers removed: this process's signals are its own again. */
  stop(): void {
    if (!this.target) return;
    for (const s of SIGNALS) process.off(s, this.handler);
    this.target = undefined;
  }
}
