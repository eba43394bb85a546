-- +goose Up
CREATE TABLE IF NOT EXISTS `pinnable_releases` (
  `product` VARCHAR(15) NOT NULL,
  `version` VARCHAR(75) NOT NULL,
  `channel` VARCHAR(75) NOT NULL,
  `mapping` VARCHAR(100) NOT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`product`, `version`, `channel`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `pinnable_releases`;
