import { expect } from 'chai';
import { TopologyError } from '../../src/errors.js';
import { formatMs, formatRate, parsePercent, parseRate, parseSize, parseTime, UnitError } from '../../src/topology/units.js';
import { loadTopology } from '../../src/lab/load.js';

/** The error loading a one-link topology whose link has `shaping` raises. */
function shapingError(shaping: string): TopologyError {
  try {
    loadTopology({ text: `name: fc-u\nnodes: [a, b]\nlinks:\n  - endpoints: [a:eth1, b:eth1]\n    shaping: ${shaping}\n` }, { env: {} });
  } catch (e) { return e as TopologyError; }
  throw new Error(`shaping ${shaping} was accepted`);
}

describe('topology units', () => {
  describe('rates (tc(8) RATES)', () => {
    it('reads SI bit rates as powers of 1000', () => {
      expect(parseRate('500kbit')).to.equal(500_000);
      expect(parseRate('10mbit')).to.equal(10_000_000);
      expect(parseRate('1gbit')).to.equal(1_000_000_000);
      expect(parseRate('1.5Mbit')).to.equal(1_500_000);
    });
    it('reads IEC bit rates as powers of 1024', () => {
      expect(parseRate('1kibit')).to.equal(1024);
      expect(parseRate('1mibit')).to.equal(1024 * 1024);
    });
    it('reads bps units as BYTES per second, as tc does', () => {
      expect(parseRate('1mbps')).to.equal(8_000_000);
      expect(parseRate('100bps')).to.equal(800);
    });
    it('refuses a bare number', () => {
      expect(() => parseRate('1000')).to.throw(UnitError, 'no unit');
    });
    it('refuses a space before the unit, as tc does, and says what mbps means', () => {
      let err: UnitError | undefined;
      try { parseRate('10 mbps'); } catch (e) { err = e as UnitError; }
      expect(err).to.be.instanceOf(UnitError);
      expect(err!.message).to.contain('has a space before its unit');
      expect(err!.hint).to.contain('10mbps').and.contain('BYTES per second').and.contain('80mbit').and.contain('10mbit is bits');
      expect(() => parseTime('20 ms')).to.throw(UnitError, 'space');
    });
    it('refuses k/m/g alone, which tc does not accept for rates', () => {
      expect(() => parseRate('10m')).to.throw(UnitError, 'tc has no "m" for rates');
    });
    it('refuses rates below one byte per second', () => {
      expect(() => parseRate('4bit')).to.throw(UnitError, 'below 8 bit/s');
    });
    it('refuses a rate above 8tbit, the largest whose default bucket fits the kernel, saying so', () => {
      expect(parseRate('8tbit')).to.equal(8e12);
      for (const v of ['999999999999tbit', '99999999tbit', '9tbit']) {
        let err: UnitError | undefined;
        try { parseRate(v); } catch (e) { err = e as UnitError; }
        expect(err, v).to.be.instanceOf(UnitError);
        expect(err!.message).to.contain("above netlab's maximum of 8tbit");
        expect(err!.hint).to.contain('netlab shapes up to 8tbit').and.contain('leave rate out for no limit');
      }
    });
    it('says a negative rate cannot be negative, not that it lacks a unit', () => {
      expect(() => parseRate('-5mbit')).to.throw(UnitError, 'a rate cannot be negative');
      expect(() => parseRate(-5)).to.throw(UnitError, 'a rate cannot be negative');
    });
    it('asks for a rate without an exponent', () => {
      let err: UnitError | undefined;
      try { parseRate('1e99bit'); } catch (e) { err = e as UnitError; }
      expect(err!.message).to.contain('"1e99bit" is written with an exponent');
      expect(err!.hint).to.contain('without an exponent, e.g. 10mbit');
    });
  });

  describe('times (tc(8) TIMES)', () => {
    it('reads s, ms and us into milliseconds', () => {
      expect(parseTime('20ms')).to.equal(20);
      expect(parseTime('500us')).to.equal(0.5);
      expect(parseTime('1s')).to.equal(1000);
      expect(parseTime('0.1s')).to.equal(100);
      expect(parseTime('1.5sec')).to.equal(1500);
    });
    it('accepts 0 without a unit and refuses other bare numbers', () => {
      expect(parseTime(0)).to.equal(0);
      expect(() => parseTime('20')).to.throw(UnitError, 'no unit');
    });
    it('refuses an unknown unit', () => {
      expect(() => parseTime('2min')).to.throw(UnitError, 'unknown unit "min"');
    });
    it('says a negative time cannot be negative and an exponent must be written out', () => {
      expect(() => parseTime('-20ms')).to.throw(UnitError, 'a time cannot be negative');
      expect(() => parseTime('2e3ms')).to.throw(UnitError, 'written with an exponent');
    });
  });

  describe('percentages', () => {
    it('keeps small fractions exactly', () => {
      expect(parsePercent('0.01%')).to.equal(0.01);
      expect(parsePercent('0.5%')).to.equal(0.5);
      expect(parsePercent('100%')).to.equal(100);
    });
    it('needs a % sign except for 0', () => {
      expect(parsePercent(0)).to.equal(0);
      expect(() => parsePercent(0.5)).to.throw(UnitError, 'needs a % sign');
    });
    it('refuses values above 100%', () => {
      expect(() => parsePercent('100.5%')).to.throw(UnitError, 'above 100%');
    });
    it('says a bare number above 100 is above 100%, with a 0–100% hint (never "write e.g. 101%")', () => {
      for (const v of ['101', 101, '250', '101x']) {
        const err = (() => { try { parsePercent(v); } catch (e) { return e as UnitError; } throw new Error(`${v} accepted`); })();
        expect(err.message, String(v)).to.contain('above 100%');
        expect(err.hint, String(v)).to.contain('from 0% to 100%').and.not.contain('101%').and.not.contain('250%');
      }
    });
    it('gives every percent key of a topology file the 0–100% hint when above 100', () => {
      for (const key of ['loss', 'corrupt', 'duplicate', 'reorder']) {
        const err = shapingError(`{ delay: 20ms, ${key}: 101 }`);
        expect(err.hint, key).to.contain('from 0% to 100%').and.not.contain('101%');
      }
      expect(shapingError('{ delay: 20ms, jitter: 5ms, delay_correlation: 101 }').hint).to.contain('from 0% to 100%');
      expect(shapingError('{ loss: 1%, loss_correlation: 101 }').hint).to.contain('from 0% to 100%');
      expect(shapingError('{ delay: 20ms, reorder: 1%, reorder_correlation: "101" }').hint).to.contain('from 0% to 100%');
    });
  });

  describe('shaping keys of the wrong type in a topology file', () => {
    it('hints rate: 0 and rate: 10 with a unit and how to have no limit, not the schema description', () => {
      for (const v of ['0', '10']) {
        const err = shapingError(`{ rate: ${v} }`);
        expect(err.path).to.equal('links[0].shaping.rate');
        expect(err.hint, v).to.contain('rate: 10mbit').and.contain('leave rate out for no limit').and.not.equal('Rate limit.');
      }
    });
    it('hints delay, jitter, burst and limit of the wrong type with an example of each', () => {
      expect(shapingError('{ delay: 20 }').hint).to.contain('delay: 20ms');
      expect(shapingError('{ delay: 20ms, jitter: 5 }').hint).to.contain('jitter: 5ms');
      expect(shapingError('{ rate: 10mbit, burst: true }').hint).to.contain('burst: 32kb');
      expect(shapingError('{ rate: 10mbit, limit: "1000" }').hint).to.contain('limit: 1000');
      expect(shapingError('{ loss: true }').hint).to.contain('loss: 1%');
    });
  });

  describe('sizes', () => {
    it('reads K/M/G as powers of 1024 and a bare number as bytes', () => {
      expect(parseSize('256M')).to.equal(256 * 1024 * 1024);
      expect(parseSize('64k')).to.equal(65536);
      expect(parseSize('1GiB')).to.equal(1024 ** 3);
      expect(parseSize(1500)).to.equal(1500);
      expect(parseSize('1500b')).to.equal(1500);
    });
    it('reads kbit sizes as bits, as tc does', () => {
      expect(parseSize('8kbit')).to.equal(1024);
    });
    it('refuses an unknown unit', () => {
      expect(() => parseSize('3X')).to.throw(UnitError, 'unknown unit');
    });
    it('says a negative size cannot be negative and an exponent must be written out', () => {
      expect(() => parseSize('-32kb')).to.throw(UnitError, 'a size cannot be negative');
      expect(() => parseSize('1e9b')).to.throw(UnitError, 'written with an exponent');
      expect(() => parsePercent('-1%')).to.throw(UnitError, 'a percentage cannot be negative');
    });
  });
});

describe('topology units: rates and times in words', () => {
  it('writes a rate in tc\'s SI units with the digits a user typed (six significant)', () => {
    expect(formatRate(10e6)).to.equal('10Mbit');
    expect(formatRate(parseRate('1.23456mbit'))).to.equal('1.23456Mbit');
    expect(formatRate(parseRate('2.5gbit'))).to.equal('2.5Gbit');
    expect(formatRate(500)).to.equal('500bit');
  });
  it('writes milliseconds without float noise', () => {
    expect(formatMs(0.1 + 0.2)).to.equal('0.3ms');
    expect(formatMs(30)).to.equal('30ms');
  });
});
