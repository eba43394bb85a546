-- +goose Up
CREATE TABLE IF NOT EXISTS `rules` (
  `rule_id` INT NOT NULL AUTO_INCREMENT,
  `alias` VARCHAR(50) NULL,
  `priority` INT NULL,
  `mapping` VARCHAR(100) NULL,
  `fallbackMapping` VARCHAR(100) NULL,
  `backgroundRate` INT NULL,
  `update_type` VARCHAR(15) NOT NULL,
  `product` VARCHAR(15) NULL,
  `version` VARCHAR(75) NULL,
  `channel` VARCHAR(75) NULL,
  `buildTarget` VARCHAR(75) NULL,
  `buildID` VARCHAR(20) NULL,
  `locale` VARCHAR(200) NULL,
  `osVersion` VARCHAR(1000) NULL,
  `memory` VARCHAR(100) NULL,
  `instructionSet` VARCHAR(1000) NULL,
  `jaws` INT NULL,
  `mig64` INT NULL,
  `distribution` VARCHAR(2000) NULL,
  `distVersion` VARCHAR(100) NULL,
  `headerArchitecture` VARCHAR(10) NULL,
  `comment` VARCHAR(500) NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`rule_id`),
  UNIQUE KEY `alias_unique` (`alias`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `rules`;
